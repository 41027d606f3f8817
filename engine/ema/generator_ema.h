// The generator EMA (gan.g_ema) as a run extension: an exponential moving average of the
// generator's weights, updated after each generator step and swapped in for evaluation,
// samples and FID, as in ProGAN/StyleGAN.
#pragma once

#include <memory>

#include "engine/run/extension.h"

namespace wb::engine::ema {

/// nullptr unless gan.g_ema > 0.
std::unique_ptr<RunExtension> make_generator_ema(const api::RunConfig& config);

}  // namespace wb::engine::ema
