// RunConfig from a config file's JSON (`run --config`), then `--set key=value` lines after the
// first NUL byte. Whatever the input, parsing reports errors and never crashes; a config that
// validates survives a JSON round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/api/run_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    using wb::api::ConfigError;
    using wb::api::RunConfig;
    const std::string input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string json_text = input.substr(0, nul);
    RunConfig config;
    std::vector<ConfigError> errors;
    const nlohmann::json j = nlohmann::json::parse(json_text, nullptr, false);
    if (!j.is_discarded()) config = RunConfig::from_json(j, &errors, config);
    if (nul != std::string::npos) {
        std::size_t from = nul + 1;
        while (from <= input.size()) {
            std::size_t end = input.find('\n', from);
            if (end == std::string::npos) end = input.size();
            const std::string line = input.substr(from, end - from);
            if (const auto eq = line.find('='); eq != std::string::npos && eq > 0)
                config.set(line.substr(0, eq), line.substr(eq + 1), &errors);
            from = end + 1;
        }
    }
    if (errors.empty() && config.validate().empty()) {
        std::vector<ConfigError> again;
        const nlohmann::json out = config.to_json();
        const RunConfig back = RunConfig::from_json(out, &again);
        if (!again.empty() || back.to_json() != out) std::abort();
    }
    return 0;
}
