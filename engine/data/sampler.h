// Samplers choose which training examples each step sees: shuffled epochs (uniform), online
// hard-example mining (hard) or an easy-to-hard curriculum, all resumable from a checkpoint.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json.hpp>

namespace wb::engine::data {

struct SamplerBatch {
    torch::Tensor indices;  ///< int64 [B], examples to train on (hard may repeat one)
    torch::Tensor weights;  ///< float32 [B], importance weights; all 1 unless hard with beta > 0
};

struct SamplerMetrics {
    double pool_fraction = 1;    ///< share of the data set the last batch could come from
    double mean_difficulty = 0;  ///< see Sampler::metrics()
    double unique_seen = 0;      ///< share of the data set drawn at least once
};

/// Per-example losses (float, [k]) of the examples `indices` (int64 [k]) under the current
/// model, without a gradient step. The trainer provides it; hard sampling uses it to re-score
/// stale examples, the loss-ranked curriculum for its scoring passes.
using Scorer = std::function<torch::Tensor(const torch::Tensor& indices)>;

struct SamplerOptions {
    std::string kind = "uniform";  ///< uniform | hard | curriculum
    uint64_t seed = 0;
    // hard
    double alpha = 0.6;          ///< priority = (loss + eps)^alpha; 0 is uniform
    double beta = 0;             ///< importance-weight exponent; 0 gives all weights 1
    double uniform_mix = 0.2;    ///< share of draws that ignore the scores
    int64_t rescore_every = 0;   ///< steps between re-scoring rounds; 0 never
    int64_t stale_after = 1000;  ///< hard: a score this many steps old counts as stale
    // curriculum
    std::string difficulty = "proxy";  ///< proxy | loss
    std::string pacing = "linear";     ///< linear | root | step
    double start_fraction = 0.2;
    int64_t full_at_step = 1000;
    int64_t stages = 4;  ///< step pacing: pool increments
};

class Sampler {
public:
    virtual ~Sampler() = default;
    virtual std::string kind() const = 0;

    /// The batch for the next training step (each call counts as one step).
    SamplerBatch next(int64_t batch);
    /// The per-example training losses (float, [k]) of the batch just trained on.
    void report(const torch::Tensor& indices, const torch::Tensor& losses);
    void set_scorer(Scorer scorer) { m_scorer = std::move(scorer); }

    /// pool_fraction: 1 except for a curriculum still growing its pool. mean_difficulty: for
    /// uniform and hard the mean reported training loss of the last batch (the hard sampler's
    /// own score); for curriculum the mean difficulty score (proxy or scored loss) it ranks by.
    SamplerMetrics metrics() const;

    /// Everything needed to continue the same draw sequence; large arrays are JSON binaries,
    /// so store it with nlohmann::json::to_cbor.
    nlohmann::json state() const;
    /// Restores state(); throws DataError (naming the fix) when it is damaged or was saved for
    /// another sampler kind or data set size. A rejected state leaves the sampler unchanged.
    void load_state(const nlohmann::json& state);

    int64_t size() const { return m_n; }
    /// Steps drawn so far.
    int64_t steps() const { return m_steps; }

protected:
    explicit Sampler(int64_t n);
    /// `steps()` is the number of earlier steps while draw runs.
    virtual SamplerBatch draw(int64_t batch) = 0;
    /// Called by report() with CPU doubles, after `steps()` was advanced past that batch.
    virtual void on_report(const int64_t* indices, const double* losses, int64_t k);
    virtual double pool_fraction() const { return 1.0; }
    /// Curriculum ranks by its own score and sets m_mean_difficulty while drawing.
    virtual bool difficulty_from_losses() const { return true; }
    virtual nlohmann::json own_state() const = 0;
    /// Must validate everything before changing anything (throw DataError on damage).
    virtual void load_own_state(const nlohmann::json& state) = 0;

    /// Losses from the trainer's scorer as CPU doubles; throws std::logic_error without one.
    std::vector<double> score(const std::vector<int64_t>& indices) const;

    double m_mean_difficulty = 0;

private:
    int64_t m_n = 0;
    int64_t m_steps = 0;
    int64_t m_seen_count = 0;
    std::vector<uint8_t> m_seen;
    Scorer m_scorer;
};

/// `proxy` is called only for a curriculum ranked by proxy and must return one difficulty per
/// example (float, [n]). Throws std::invalid_argument for an unknown kind or n < 1.
std::unique_ptr<Sampler> make_sampler(const SamplerOptions& options, int64_t n,
                                      const std::function<torch::Tensor()>& proxy);

/// Doubles / int64s as a JSON binary and back; `from_binary` throws DataError when the size
/// does not fit `count` elements.
nlohmann::json to_binary(const std::vector<double>& v);
nlohmann::json to_binary(const std::vector<int64_t>& v);
std::vector<double> doubles_from_binary(const nlohmann::json& j, int64_t count);
std::vector<int64_t> int64s_from_binary(const nlohmann::json& j, int64_t count);

/// A CPU double copy of a 1-D tensor of any floating or integer dtype.
std::vector<double> to_doubles(const torch::Tensor& t);
std::vector<int64_t> to_int64s(const torch::Tensor& t);

}  // namespace wb::engine::data
