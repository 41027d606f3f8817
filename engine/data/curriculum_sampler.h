// Curriculum learning (Bengio et al. 2009; pacing as in Hacohen & Weinshall 2019 and Platanios
// et al. 2019): examples ranked easy to hard, drawn from a pool of the easiest that grows
// from start_fraction of the data to all of it by full_at_step, then shuffled epochs.
#pragma once

#include <optional>
#include <random>

#include "engine/data/batch_sampler.h"
#include "engine/data/sampler.h"

namespace wb::engine::data {

/// Share of the data in the pool at training step `step` (1-based): with x = min(1, step/T),
/// linear c0 + (1-c0) x; root sqrt(c0^2 + (1-c0^2) x); step c0 + (1-c0) floor(x K)/K.
double pacing_fraction(const std::string& pacing, double start_fraction, int64_t full_at_step,
                       int64_t stages, int64_t step);

class CurriculumSampler final : public Sampler {
public:
    /// `scores` are the proxy difficulties (one per example); leave it empty for
    /// difficulty == "loss", which ranks by the trainer's scorer in a pass over every example
    /// at the first step and again every rescore_every steps until the pool is full.
    CurriculumSampler(const SamplerOptions& options, int64_t n, std::vector<double> scores);
    std::string kind() const override { return "curriculum"; }
    /// Examples allowed at `step` (1-based).
    int64_t pool_size(int64_t step) const;
    /// Example ids, easiest first (ties by id).
    const std::vector<int64_t>& order() const { return m_order; }
    /// Scoring passes over the whole data set so far.
    int64_t scoring_passes() const { return m_passes; }

protected:
    SamplerBatch draw(int64_t batch) override;
    double pool_fraction() const override { return m_pool_fraction; }
    bool difficulty_from_losses() const override { return false; }
    nlohmann::json own_state() const override;
    void load_own_state(const nlohmann::json& state) override;

private:
    void rank();
    void score_all(int64_t chunk);

    SamplerOptions m_o;
    int64_t m_n = 0;
    std::mt19937_64 m_rng;
    std::vector<double> m_score;
    std::vector<int64_t> m_order;
    bool m_ranked = false;
    int64_t m_passes = 0;
    double m_pool_fraction = 0;
    std::optional<EpochSampler> m_epochs;  ///< once the pool is full
};

}  // namespace wb::engine::data
