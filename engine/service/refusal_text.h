// Building refusals: the small helpers the files of RunService share. Internal to the service.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/api/run_event.h"
#include "engine/service/refusal.h"

namespace wb::service::detail {

inline std::string run_label(int64_t id) {
    return "run " + std::to_string(id);
}

inline Refusal refusal(Refusal::Cause cause, std::string message) {
    Refusal r;
    r.cause = cause;
    r.message = std::move(message);
    return r;
}

/// A Config refusal: the headline, then every problem on a line of its own.
inline Refusal config_refusal(const std::string& headline, std::vector<api::ConfigError> problems) {
    std::string text = api::format_errors(problems);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    Refusal r = refusal(Refusal::Cause::Config, headline + ":\n" + text);
    r.problems = std::move(problems);
    return r;
}

inline bool is_live(api::RunStatus s) {
    return s == api::RunStatus::Queued || s == api::RunStatus::Running ||
           s == api::RunStatus::Paused;
}

}  // namespace wb::service::detail
