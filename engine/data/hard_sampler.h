// Online hard-example mining in the manner of prioritized experience replay (Schaul et al.
// 2016): draw examples in proportion to (last loss)^alpha, mixed with uniform draws.
#pragma once

#include <random>

#include "engine/data/sampler.h"
#include "engine/data/sum_tree.h"

namespace wb::engine::data {

/// An example's score is the last training (or re-scoring) loss reported for it. Examples
/// never scored yet count as average: together they get the share U/n of the prioritized
/// draws, U being their number, spread evenly among them. Each draw is uniform over all n with
/// probability uniform_mix, else prioritized, so
///   P(i) = uniform_mix / n + (1 - uniform_mix) * q(i),
///   q(i) = p_i / S * (n - U) / n for scored examples (p_i = (loss_i + 1e-6)^alpha, S = sum p)
///   q(i) = 1 / n for unscored ones.
/// With beta > 0 each drawn example has weight (n P(i))^-beta / max_j (n P(j))^-beta.
/// Every rescore_every steps, up to one batch of examples scored more than stale_after steps
/// ago is re-scored through the trainer's scorer (a forward pass without a gradient step).
class HardSampler final : public Sampler {
public:
    HardSampler(const SamplerOptions& options, int64_t n);
    std::string kind() const override { return "hard"; }
    /// P(i) above, for tests and diagnostics.
    double probability(int64_t i) const;
    /// Examples re-scored so far.
    int64_t rescored() const { return m_rescored; }

protected:
    SamplerBatch draw(int64_t batch) override;
    void on_report(const int64_t* indices, const double* losses, int64_t k) override;
    nlohmann::json own_state() const override;
    void load_own_state(const nlohmann::json& state) override;

private:
    void set_score(int64_t i, double loss, int64_t step);
    void rescore_stale(int64_t batch);
    double priority(double loss) const;
    double prioritized_q(int64_t i) const;
    void rebuild_trees();

    SamplerOptions m_o;
    int64_t m_n = 0;
    std::mt19937_64 m_rng;
    std::vector<double> m_score;       ///< last loss; meaningful where m_scored_at >= 0
    std::vector<int64_t> m_scored_at;  ///< step of the last score, -1 when never scored
    SumTree m_priority;                ///< p_i of scored examples, 0 for unscored
    SumTree m_unscored;                ///< 1 for unscored examples, 0 for scored
    int64_t m_cursor = 0;              ///< where the next search for stale scores starts
    int64_t m_rescored = 0;
};

}  // namespace wb::engine::data
