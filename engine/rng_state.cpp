// Hex encoding of Generator::get_state()'s byte tensor.
#include "engine/rng_state.h"

#include <stdexcept>

namespace wb::engine {

std::string generator_state_hex(const at::Generator& gen) {
    static const char* kDigits = "0123456789abcdef";
    const auto state = gen.get_state().contiguous();
    const auto* p = state.data_ptr<uint8_t>();
    std::string hex;
    hex.reserve(static_cast<std::size_t>(state.numel()) * 2);
    for (int64_t i = 0; i < state.numel(); ++i) {
        hex.push_back(kDigits[p[i] >> 4]);
        hex.push_back(kDigits[p[i] & 15]);
    }
    return hex;
}

void set_generator_state_hex(at::Generator& gen, const std::string& hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        throw std::runtime_error("generator state is not hex text");
    };
    if (hex.size() % 2 != 0) throw std::runtime_error("generator state has odd length");
    auto state = torch::empty({static_cast<int64_t>(hex.size() / 2)}, torch::kUInt8);
    auto* p = state.data_ptr<uint8_t>();
    for (std::size_t i = 0; i < hex.size() / 2; ++i)
        p[i] = static_cast<uint8_t>(nibble(hex[2 * i]) * 16 + nibble(hex[2 * i + 1]));
    gen.set_state(state);
}

std::mutex& global_generator_mutex() {
    static std::mutex m;
    return m;
}

GlobalGeneratorGuard::GlobalGeneratorGuard()
    : m_lock(global_generator_mutex()), m_state(at::detail::getDefaultCPUGenerator().get_state()) {}

GlobalGeneratorGuard::~GlobalGeneratorGuard() {
    at::Generator global = at::detail::getDefaultCPUGenerator();
    global.set_state(m_state);
}

}  // namespace wb::engine
