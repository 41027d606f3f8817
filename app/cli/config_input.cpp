// Config assembly for `run` and `resume`.
#include "app/cli/config_input.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace wb::cli {

api::RunConfig apply_overrides(api::RunConfig config, const std::string& config_file,
                               const std::vector<std::string>& sets,
                               std::vector<api::ConfigError>* errors) {
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in) {
            errors->push_back(
                {"", "cannot read config file " + config_file + ": no such file or not readable"});
        } else {
            std::stringstream text;
            text << in.rdbuf();
            try {
                config =
                    api::RunConfig::from_json(nlohmann::json::parse(text.str()), errors, config);
            } catch (const nlohmann::json::exception& e) {
                // Syntax errors, and numbers no double can hold (1e999).
                errors->push_back({"", config_file + " is not valid JSON: " + e.what()});
            }
        }
    }
    for (const auto& s : sets) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0) {
            errors->push_back({s, "--set expects key.path=value"});
            continue;
        }
        config.set(s.substr(0, eq), s.substr(eq + 1), errors);
    }
    return config;
}

void print_config_errors(const std::vector<api::ConfigError>& errors) {
    std::fprintf(stderr, "error: invalid config (%zu problem%s):\n", errors.size(),
                 errors.size() == 1 ? "" : "s");
    for (const auto& e : errors)
        std::fprintf(stderr, "  %s%s\n", e.path.empty() ? "" : (e.path + ": ").c_str(),
                     e.message.c_str());
}

}  // namespace wb::cli
