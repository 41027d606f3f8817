// The attention patterns as a predicate over (query, key) positions.
#include "engine/api/attention_pattern.h"

#include <algorithm>

#include "engine/api/run_config.h"

namespace wb::api {

AttentionPattern AttentionPattern::from(const ModelConfig& model) {
    AttentionPattern p;
    p.kind = model.attention == "window"  ? Kind::Window
             : model.attention == "block" ? Kind::Block
                                          : Kind::Dense;
    p.window = model.window;
    p.block = model.block_size;
    p.summary = model.summary_tokens;
    p.global = model.global_tokens;
    return p;
}

bool AttentionPattern::keeps(int64_t i, int64_t j) const {
    if (j > i || j < 0) return false;
    switch (kind) {
        case Kind::Dense:
            return true;
        case Kind::Window:
            return i - j < window;
        case Kind::Block:
            return i / block == j / block || j % block >= block - summary || j < global;
    }
    return false;
}

std::vector<uint8_t> AttentionPattern::mask(int64_t T) const {
    std::vector<uint8_t> m(static_cast<size_t>(T * T), 0);
    for (int64_t i = 0; i < T; ++i)
        for (int64_t j = 0; j <= i; ++j) m[static_cast<size_t>(i * T + j)] = keeps(i, j) ? 1 : 0;
    return m;
}

int64_t AttentionPattern::kept_in_row(int64_t i) const {
    switch (kind) {
        case Kind::Dense:
            return i + 1;
        case Kind::Window:
            return std::min(i + 1, window);
        case Kind::Block: {
            const int64_t qb = i / block, c = std::min(summary, block);
            // Globals before the own block that are not summary positions already.
            const int64_t m = std::min(global, qb * block);
            const int64_t globals = m / block * (block - c) + std::min(m % block, block - c);
            return i % block + 1 + qb * c + globals;
        }
    }
    return i + 1;
}

double AttentionPattern::kept_fraction(int64_t T) const {
    int64_t kept = 0;  // O(T): the form recomputes it on every edit, contexts reach 8192
    for (int64_t i = 0; i < T; ++i) kept += kept_in_row(i);
    return T > 0 ? static_cast<double>(kept) / static_cast<double>(T * (T + 1) / 2) : 0.0;
}

int64_t AttentionPattern::keys_per_query(int64_t T) const {
    switch (kind) {
        case Kind::Dense:
            return T;
        case Kind::Window:
            return 2 * window;
        case Kind::Block:
            return block + (T + block - 1) / block * summary + global;
    }
    return T;
}

std::string AttentionPattern::describe() const {
    switch (kind) {
        case Kind::Dense:
            return "dense";
        case Kind::Window:
            return "window " + std::to_string(window);
        case Kind::Block:
            return "block " + std::to_string(block) + " (+" + std::to_string(summary) +
                   " summary, " + std::to_string(global) + " global)";
    }
    return "dense";
}

}  // namespace wb::api
