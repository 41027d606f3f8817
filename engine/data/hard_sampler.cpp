#include "engine/data/hard_sampler.h"

#include <algorithm>
#include <cmath>

#include <torch/torch.h>

#include "engine/data/data_error.h"
#include "engine/data/rng_util.h"

namespace wb::engine::data {

namespace {
constexpr double kPriorityEps = 1e-6;  // keeps a zero-loss example drawable
}

HardSampler::HardSampler(const SamplerOptions& options, int64_t n)
    : Sampler(n),
      m_o(options),
      m_n(n),
      m_rng(options.seed),
      m_score(static_cast<size_t>(n), 0.0),
      m_scored_at(static_cast<size_t>(n), -1),
      m_priority(n),
      m_unscored(n) {
    if (!(m_o.alpha >= 0) || !(m_o.beta >= 0) || !(m_o.uniform_mix >= 0 && m_o.uniform_mix <= 1))
        throw std::invalid_argument("HardSampler: alpha, beta >= 0 and 0 <= uniform_mix <= 1");
    rebuild_trees();
}

double HardSampler::priority(double loss) const {
    // Losses are non-negative for every trainer here; a negative one would make pow undefined.
    return std::pow(std::max(loss, 0.0) + kPriorityEps, m_o.alpha);
}

void HardSampler::rebuild_trees() {
    for (int64_t i = 0; i < m_n; ++i) {
        const bool scored = m_scored_at[static_cast<size_t>(i)] >= 0;
        m_priority.set(i, scored ? priority(m_score[static_cast<size_t>(i)]) : 0.0);
        m_unscored.set(i, scored ? 0.0 : 1.0);
    }
}

void HardSampler::set_score(int64_t i, double loss, int64_t step) {
    if (!std::isfinite(loss)) return;  // the run stops on a non-finite loss anyway
    m_score[static_cast<size_t>(i)] = loss;
    m_scored_at[static_cast<size_t>(i)] = step;
    m_priority.set(i, priority(loss));
    m_unscored.set(i, 0.0);
}

double HardSampler::prioritized_q(int64_t i) const {
    const double n = static_cast<double>(m_n);
    const double unscored = m_unscored.total();
    if (m_scored_at[static_cast<size_t>(i)] < 0 || !(m_priority.total() > 0)) return 1.0 / n;
    return m_priority.get(i) / m_priority.total() * (n - unscored) / n;
}

double HardSampler::probability(int64_t i) const {
    return m_o.uniform_mix / static_cast<double>(m_n) + (1 - m_o.uniform_mix) * prioritized_q(i);
}

void HardSampler::rescore_stale(int64_t batch) {
    std::vector<int64_t> stale;
    const int64_t now = steps();
    for (int64_t looked = 0; looked < m_n && static_cast<int64_t>(stale.size()) < batch; ++looked) {
        const int64_t i = m_cursor;
        m_cursor = (m_cursor + 1) % m_n;
        const int64_t at = m_scored_at[static_cast<size_t>(i)];
        if (at >= 0 && now - at >= m_o.stale_after) stale.push_back(i);
    }
    if (stale.empty()) return;
    const auto losses = score(stale);
    for (size_t j = 0; j < stale.size(); ++j) set_score(stale[j], losses[j], now);
    m_rescored += static_cast<int64_t>(stale.size());
}

SamplerBatch HardSampler::draw(int64_t batch) {
    if (m_o.rescore_every > 0 && steps() > 0 && steps() % m_o.rescore_every == 0)
        rescore_stale(batch);
    const double n = static_cast<double>(m_n);
    const double unscored = m_unscored.total();
    const bool any_scored = m_priority.total() > 0;
    torch::Tensor indices = torch::empty({batch}, torch::kInt64);
    int64_t* idx = indices.data_ptr<int64_t>();
    for (int64_t j = 0; j < batch; ++j) {
        if (!any_scored || uniform01(m_rng) < m_o.uniform_mix) {
            idx[j] = static_cast<int64_t>(uniform_below(m_rng, static_cast<uint64_t>(m_n)));
        } else if (uniform01(m_rng) * n < unscored) {
            const auto k = uniform_below(m_rng, static_cast<uint64_t>(unscored + 0.5));
            idx[j] = m_unscored.find(static_cast<double>(k) + 0.5);
        } else {
            idx[j] = m_priority.find(uniform01(m_rng) * m_priority.total());
        }
    }
    torch::Tensor weights = torch::ones({batch}, torch::kFloat32);
    if (m_o.beta > 0) {
        // The largest weight belongs to the least likely example: an unscored one (q = 1/n)
        // or the scored one with the smallest priority.
        double q_min = unscored > 0.5 ? 1.0 / n : 1.0;
        if (any_scored)
            q_min = std::min(q_min, m_priority.min() / m_priority.total() * (n - unscored) / n);
        const double p_min = m_o.uniform_mix / n + (1 - m_o.uniform_mix) * q_min;
        const double w_max = std::pow(n * p_min, -m_o.beta);
        float* w = weights.data_ptr<float>();
        for (int64_t j = 0; j < batch; ++j)
            w[j] = static_cast<float>(std::pow(n * probability(idx[j]), -m_o.beta) / w_max);
    }
    return {indices, weights};
}

void HardSampler::on_report(const int64_t* indices, const double* losses, int64_t k) {
    for (int64_t j = 0; j < k; ++j) set_score(indices[j], losses[j], steps());
}

nlohmann::json HardSampler::own_state() const {
    return {{"rng", rng_text(m_rng)},
            {"score", to_binary(m_score)},
            {"scored_at", to_binary(m_scored_at)},
            {"cursor", m_cursor},
            {"rescored", m_rescored}};
}

void HardSampler::load_own_state(const nlohmann::json& state) {
    std::mt19937_64 rng;
    std::vector<double> score;
    std::vector<int64_t> scored_at;
    int64_t cursor = 0, rescored = 0;
    try {
        if (!parse_rng_text(state.at("rng").get<std::string>(), &rng))
            throw DataError("rng state does not parse");
        score = doubles_from_binary(state.at("score"), m_n);
        scored_at = int64s_from_binary(state.at("scored_at"), m_n);
        cursor = state.at("cursor").get<int64_t>();
        rescored = state.at("rescored").get<int64_t>();
    } catch (const std::exception& e) {
        throw DataError(std::string("hard sampler state in the checkpoint is damaged (") +
                        e.what() + "); restart the run from an earlier checkpoint or from scratch");
    }
    if (cursor < 0 || cursor >= m_n)
        throw DataError("hard sampler state in the checkpoint is damaged (cursor " +
                        std::to_string(cursor) + "); restart the run from an earlier checkpoint");
    m_rng = rng;
    m_score = std::move(score);
    m_scored_at = std::move(scored_at);
    m_cursor = cursor;
    m_rescored = rescored;
    rebuild_trees();
}

}  // namespace wb::engine::data
