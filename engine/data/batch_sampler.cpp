#include "engine/data/batch_sampler.h"

#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "engine/data/data_error.h"
#include "engine/data/rng_util.h"

namespace wb::engine::data {

EpochSampler::EpochSampler(int64_t n, uint64_t seed) : m_n(n), m_rng(seed) {
    if (n < 1) {
        throw std::invalid_argument("EpochSampler: needs at least one example, got " +
                                    std::to_string(n));
    }
    m_order.resize(static_cast<size_t>(n));
    shuffle();
}

void EpochSampler::shuffle() {
    m_rng_at_epoch_start = m_rng;
    // Always from the identity, so the permutation depends only on the engine state above.
    std::iota(m_order.begin(), m_order.end(), int64_t{0});
    for (size_t i = m_order.size() - 1; i > 0; --i) {
        std::swap(m_order[i], m_order[uniform_below(m_rng, i + 1)]);
    }
    m_position = 0;
}

torch::Tensor EpochSampler::next(int64_t batch) {
    if (batch < 1) {
        throw std::invalid_argument("EpochSampler::next: batch must be positive, got " +
                                    std::to_string(batch));
    }
    torch::Tensor out = torch::empty({batch}, torch::kInt64);
    int64_t* dst = out.data_ptr<int64_t>();
    int64_t filled = 0;
    while (filled < batch) {
        const int64_t take = std::min(batch - filled, m_n - m_position);
        std::copy_n(m_order.begin() + m_position, take, dst + filled);
        filled += take;
        m_position += take;
        if (m_position == m_n) {
            ++m_epoch;
            shuffle();
        }
    }
    return out;
}

nlohmann::json EpochSampler::state() const {
    std::ostringstream rng;
    rng << m_rng_at_epoch_start;
    return {{"n", m_n}, {"epoch", m_epoch}, {"position", m_position}, {"rng", rng.str()}};
}

void EpochSampler::load_state(const nlohmann::json& state) {
    int64_t n = 0;
    int64_t epoch = 0;
    int64_t position = 0;
    std::mt19937_64 rng;
    try {
        n = state.at("n").get<int64_t>();
        epoch = state.at("epoch").get<int64_t>();
        position = state.at("position").get<int64_t>();
        std::istringstream in(state.at("rng").get<std::string>());
        in >> rng;
        if (!in) throw DataError("rng state does not parse");
    } catch (const std::exception& e) {
        throw DataError(std::string("batch sampler state in the checkpoint is damaged (") +
                        e.what() + "); restart the run from an earlier checkpoint or from scratch");
    }
    if (n != m_n) {
        throw DataError("batch sampler state was saved for " + std::to_string(n) +
                        " examples but the data set now has " + std::to_string(m_n) +
                        "; resume with the data set the run was started with");
    }
    if (epoch < 0 || position < 0 || position >= n) {
        throw DataError("batch sampler state in the checkpoint is damaged (epoch " +
                        std::to_string(epoch) + ", position " + std::to_string(position) +
                        "); restart the run from an earlier checkpoint or from scratch");
    }
    m_rng = rng;
    shuffle();
    m_epoch = epoch;
    m_position = position;
}

}  // namespace wb::engine::data
