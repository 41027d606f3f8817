// Shuffled epochs over N examples with a state that survives a checkpoint, so a resumed run
// sees exactly the batches an uninterrupted run would have seen.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <torch/types.h>
#include <nlohmann/json_fwd.hpp>

namespace wb::engine::data {

class EpochSampler {
public:
    /// Epoch 0 is already shuffled on construction. Throws std::invalid_argument if n < 1.
    EpochSampler(int64_t n, uint64_t seed);

    /// The next `batch` int64 indices; past an epoch's end it reshuffles and continues, so a
    /// batch may span two (or, for batch > n, more) epochs.
    torch::Tensor next(int64_t batch);

    /// {"n", "epoch", "position", "rng"}: rng is the engine's state at the start of the current
    /// epoch, from which the epoch's permutation is rebuilt instead of being stored.
    nlohmann::json state() const;
    /// Restores state(); throws DataError if it is malformed or was saved for another n.
    void load_state(const nlohmann::json& state);

    /// Completed epochs.
    int64_t epoch() const { return m_epoch; }
    /// Indices already handed out in the current epoch.
    int64_t position() const { return m_position; }
    int64_t size() const { return m_n; }

private:
    void shuffle();

    int64_t m_n = 0;
    int64_t m_epoch = 0;
    int64_t m_position = 0;
    std::mt19937_64 m_rng;
    std::mt19937_64 m_rng_at_epoch_start;
    std::vector<int64_t> m_order;
};

}  // namespace wb::engine::data
