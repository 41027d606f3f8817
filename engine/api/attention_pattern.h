// Which earlier positions each position of a causal language model attends to: dense (all),
// a sliding window (Longformer), or block-sparse (Sparse Transformer's fixed pattern: the own
// block, the last `summary` positions of every earlier block, and optional global tokens as in
// BigBird). The one definition of each pattern: the engine computes only what it keeps, its
// tests compare against dense attention under mask(), and the app draws mask() for the learner.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wb::api {

struct ModelConfig;

struct AttentionPattern {
    enum class Kind { Dense, Window, Block };
    Kind kind = Kind::Dense;
    int64_t window = 128;  ///< Window: positions attended, the own one included
    int64_t block = 32;    ///< Block: block size
    int64_t summary = 4;   ///< Block: last positions of each block every later position sees
    int64_t global = 0;    ///< Block: first positions every position sees

    /// From model.attention, model.window, model.block_size, model.summary_tokens and
    /// model.global_tokens (values validated by RunConfig::validate).
    static AttentionPattern from(const ModelConfig& model);

    /// Whether position `i` attends to position `j` (false for j > i: causal).
    bool keeps(int64_t i, int64_t j) const;
    /// Row-major [T, T] mask, 1 where keeps(i, j).
    std::vector<uint8_t> mask(int64_t T) const;
    /// Positions that position `i` attends to (its row of mask()).
    int64_t kept_in_row(int64_t i) const;
    /// Kept pairs over the T(T+1)/2 pairs dense causal attention computes.
    double kept_fraction(int64_t T) const;
    /// Key positions each query scores in the engine's blocked computation (its cost per
    /// position, padding included): T for dense, 2 * window, block + T/block * summary + global.
    int64_t keys_per_query(int64_t T) const;
    /// "window 128", "block 32 (+4 summary, 0 global)", "dense".
    std::string describe() const;
};

}  // namespace wb::api
