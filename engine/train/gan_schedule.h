// The two schedules of GAN training: progressive growing (resolution and fade-in alpha from the
// images shown so far) and the discriminator steps per generator step, fixed or adaptive.
#pragma once

#include <cstdint>
#include <string>

namespace wb::engine {

struct ProgressivePhase {
    int64_t level = 0;   ///< 0: 4x4 ... levels - 1: full resolution
    double alpha = 1.0;  ///< weight of the newest block while it fades in; 1 when stable
};

/// Level 0 trains for `stable_images`; each later level fades in over `fade_images` (alpha rising
/// linearly from 0 to 1), then trains stable for `stable_images`. After the last level's fade-in
/// the schedule stays at full resolution.
ProgressivePhase progressive_phase(int64_t images_seen, int64_t fade_images, int64_t stable_images,
                                   int64_t levels);

/// Discriminator updates per generator update. Fixed, or adaptive: every kWindow generator steps
/// the discriminator's mean accuracy on real vs fake is compared with a target; below
/// target - kBand (the discriminator is losing) it gets one more step, above target + kBand
/// (it wins too easily and starves the generator of gradient) one fewer, within [1, max].
class DStepsController {
public:
    static constexpr int64_t kWindow = 25;
    static constexpr double kBand = 0.1;

    DStepsController(int64_t steps, bool adaptive, int64_t max_steps, double target_accuracy);
    int64_t steps() const { return m_steps; }
    /// One generator step's discriminator accuracy (share of real and fake judged right).
    void observe(double accuracy);
    std::string state() const;
    void load_state(const std::string& state);

private:
    int64_t m_steps;
    bool m_adaptive;
    int64_t m_max;
    double m_target;
    double m_sum = 0;
    int64_t m_count = 0;
};

}  // namespace wb::engine
