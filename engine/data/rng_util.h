// Portable draws from std::mt19937_64 for the samplers: the standard fixes the engine's output
// but not std::uniform_*_distribution's, so these keep a seed's sequence the same everywhere.
#pragma once

#include <cstdint>
#include <random>
#include <sstream>
#include <string>

namespace wb::engine::data {

/// Uniform in [0, bound) by rejection sampling (exact, no modulo bias); bound > 0.
inline uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
    const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
        const uint64_t r = rng();
        if (r >= threshold) return r % bound;
    }
}

/// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

inline std::string rng_text(const std::mt19937_64& rng) {
    std::ostringstream out;
    out << rng;
    return out.str();
}

/// False (and `rng` unchanged) when `text` is not an engine state.
inline bool parse_rng_text(const std::string& text, std::mt19937_64* rng) {
    std::istringstream in(text);
    std::mt19937_64 parsed;
    in >> parsed;
    if (!in) return false;
    *rng = parsed;
    return true;
}

}  // namespace wb::engine::data
