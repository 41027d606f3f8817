// Progressive-growing phase arithmetic and the adaptive D/G ratio.
#include "engine/train/gan_schedule.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace wb::engine {

ProgressivePhase progressive_phase(int64_t images_seen, int64_t fade_images, int64_t stable_images,
                                   int64_t levels) {
    ProgressivePhase p;
    int64_t left = images_seen - stable_images;
    for (p.level = 0; p.level + 1 < levels && left >= 0; ++p.level) {
        // `left` images into level p.level + 1: fading while below fade_images.
        if (left < fade_images) {
            ++p.level;
            p.alpha = static_cast<double>(left) / static_cast<double>(fade_images);
            return p;
        }
        left -= fade_images + stable_images;
    }
    p.alpha = 1.0;
    return p;
}

DStepsController::DStepsController(int64_t steps, bool adaptive, int64_t max_steps,
                                   double target_accuracy)
    : m_steps(steps),
      m_adaptive(adaptive),
      m_max(std::max(steps, max_steps)),
      m_target(target_accuracy) {}

void DStepsController::observe(double accuracy) {
    if (!m_adaptive) return;
    m_sum += accuracy;
    if (++m_count < kWindow) return;
    const double mean = m_sum / static_cast<double>(m_count);
    m_sum = 0;
    m_count = 0;
    if (mean < m_target - kBand)
        m_steps = std::min(m_steps + 1, m_max);
    else if (mean > m_target + kBand)
        m_steps = std::max<int64_t>(m_steps - 1, 1);
}

std::string DStepsController::state() const {
    return nlohmann::json{{"steps", m_steps}, {"sum", m_sum}, {"count", m_count}}.dump();
}

void DStepsController::load_state(const std::string& state) {
    const auto j = nlohmann::json::parse(state);
    m_steps = j.at("steps").get<int64_t>();
    m_sum = j.at("sum").get<double>();
    m_count = j.at("count").get<int64_t>();
}

}  // namespace wb::engine
