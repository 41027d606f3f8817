#include "engine/data/curriculum_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <torch/torch.h>

#include "engine/data/data_error.h"
#include "engine/data/rng_util.h"

namespace wb::engine::data {

double pacing_fraction(const std::string& pacing, double c0, int64_t full_at_step, int64_t stages,
                       int64_t step) {
    const double x = std::min(
        1.0, static_cast<double>(step) / static_cast<double>(std::max<int64_t>(full_at_step, 1)));
    if (pacing == "linear") return c0 + (1 - c0) * x;
    if (pacing == "root") return std::sqrt(c0 * c0 + (1 - c0 * c0) * x);
    if (pacing == "step") {
        const double k = static_cast<double>(std::max<int64_t>(stages, 1));
        return c0 + (1 - c0) * std::floor(x * k) / k;
    }
    throw std::invalid_argument("unknown curriculum pacing '" + pacing +
                                "'; use linear, root or step");
}

CurriculumSampler::CurriculumSampler(const SamplerOptions& options, int64_t n,
                                     std::vector<double> scores)
    : Sampler(n), m_o(options), m_n(n), m_rng(options.seed), m_score(std::move(scores)) {
    if (!(m_o.start_fraction > 0 && m_o.start_fraction <= 1) || m_o.full_at_step < 1)
        throw std::invalid_argument(
            "CurriculumSampler: 0 < start_fraction <= 1 and full_at_step >= 1");
    pacing_fraction(m_o.pacing, m_o.start_fraction, m_o.full_at_step, m_o.stages, 1);
    if (m_o.difficulty == "proxy") {
        if (static_cast<int64_t>(m_score.size()) != n)
            throw std::invalid_argument("CurriculumSampler: proxy needs one score per example");
        rank();
    } else if (m_o.difficulty == "loss") {
        m_score.assign(static_cast<size_t>(n), 0.0);
    } else {
        throw std::invalid_argument("unknown curriculum difficulty '" + m_o.difficulty +
                                    "'; use proxy or loss");
    }
    m_pool_fraction = static_cast<double>(pool_size(1)) / static_cast<double>(n);
}

int64_t CurriculumSampler::pool_size(int64_t step) const {
    const double f =
        pacing_fraction(m_o.pacing, m_o.start_fraction, m_o.full_at_step, m_o.stages, step);
    const auto k = static_cast<int64_t>(std::ceil(f * static_cast<double>(m_n) - 1e-9));
    return std::clamp<int64_t>(k, 1, m_n);
}

void CurriculumSampler::rank() {
    m_order.resize(static_cast<size_t>(m_n));
    std::iota(m_order.begin(), m_order.end(), int64_t{0});
    // Stable, with NaN (never expected) ranked hardest, so the order is a function of the scores.
    std::stable_sort(m_order.begin(), m_order.end(), [&](int64_t a, int64_t b) {
        const double sa = m_score[static_cast<size_t>(a)], sb = m_score[static_cast<size_t>(b)];
        if (std::isnan(sb)) return !std::isnan(sa);
        return sa < sb;
    });
    m_ranked = true;
}

void CurriculumSampler::score_all(int64_t chunk) {
    std::vector<int64_t> ids;
    for (int64_t start = 0; start < m_n; start += chunk) {
        const int64_t len = std::min(chunk, m_n - start);
        ids.resize(static_cast<size_t>(len));
        std::iota(ids.begin(), ids.end(), start);
        const auto losses = score(ids);
        std::copy(losses.begin(), losses.end(), m_score.begin() + start);
    }
    ++m_passes;
    rank();
}

SamplerBatch CurriculumSampler::draw(int64_t batch) {
    const int64_t step = steps() + 1;
    const int64_t pool = pool_size(step);
    if (m_o.difficulty == "loss" && pool < m_n &&
        (!m_ranked || (m_o.rescore_every > 0 && steps() % m_o.rescore_every == 0)))
        score_all(batch);
    torch::Tensor indices;
    if (pool >= m_n) {
        // Past the schedule the curriculum is plain shuffled epochs.
        if (!m_epochs) m_epochs.emplace(m_n, m_rng());
        indices = m_epochs->next(batch);
    } else {
        indices = torch::empty({batch}, torch::kInt64);
        int64_t* idx = indices.data_ptr<int64_t>();
        for (int64_t j = 0; j < batch; ++j)
            idx[j] = m_order[uniform_below(m_rng, static_cast<uint64_t>(pool))];
    }
    const int64_t* idx = indices.data_ptr<int64_t>();
    double sum = 0;
    for (int64_t j = 0; j < batch; ++j) sum += m_score[static_cast<size_t>(idx[j])];
    m_mean_difficulty = sum / static_cast<double>(batch);
    m_pool_fraction = static_cast<double>(pool) / static_cast<double>(m_n);
    return {indices, torch::ones({batch}, torch::kFloat32)};
}

nlohmann::json CurriculumSampler::own_state() const {
    nlohmann::json j = {{"rng", rng_text(m_rng)},
                        {"ranked", m_ranked},
                        {"passes", m_passes},
                        {"pool_fraction", m_pool_fraction}};
    if (m_o.difficulty == "loss") j["score"] = to_binary(m_score);
    if (m_epochs) j["epochs"] = m_epochs->state();
    return j;
}

void CurriculumSampler::load_own_state(const nlohmann::json& state) {
    std::mt19937_64 rng;
    bool ranked = false;
    int64_t passes = 0;
    double pool_fraction = 0;
    std::vector<double> score = m_score;
    std::optional<EpochSampler> epochs;
    try {
        if (!parse_rng_text(state.at("rng").get<std::string>(), &rng))
            throw DataError("rng state does not parse");
        ranked = state.at("ranked").get<bool>();
        passes = state.at("passes").get<int64_t>();
        pool_fraction = state.at("pool_fraction").get<double>();
        if (m_o.difficulty == "loss") {
            if (!state.contains("score"))
                throw DataError("it was saved with sampler.difficulty=proxy; resume with that");
            score = doubles_from_binary(state.at("score"), m_n);
        } else if (state.contains("score")) {
            throw DataError("it was saved with sampler.difficulty=loss; resume with that");
        }
        if (state.contains("epochs")) {
            epochs.emplace(m_n, 0);
            epochs->load_state(state.at("epochs"));
        }
    } catch (const std::exception& e) {
        throw DataError(std::string("curriculum sampler state in the checkpoint does not fit (") +
                        e.what() + "); restart the run from an earlier checkpoint or from scratch");
    }
    m_rng = rng;
    m_passes = passes;
    m_pool_fraction = pool_fraction;
    m_score = std::move(score);
    m_epochs = std::move(epochs);
    if (ranked) rank();
    m_ranked = ranked;
}

}  // namespace wb::engine::data
