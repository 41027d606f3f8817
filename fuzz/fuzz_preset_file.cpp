// A preset file ({"name", "description", "overlay"}) as `run --preset FILE.json` and the app's
// preset list read it: every input is either a preset that validates or a readable error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/api/presets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto preset = wb::api::parse_preset(text, "fuzz.json", &error);
    if (!preset && error.empty()) std::abort();  // a refusal always says why
    if (preset) {
        if (!preset->config.validate().empty()) std::abort();
        std::string again;
        if (!wb::api::parse_preset(wb::api::preset_file_text(*preset), "again.json", &again))
            std::abort();  // what the app saves, it can read back
    }
    return 0;
}
