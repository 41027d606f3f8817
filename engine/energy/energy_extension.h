// Energy, cost and carbon of every run as a run extension: energy/joules, energy/watts,
// energy/kwh, cost/total and carbon/grams, with the source that measured (or estimated) them in
// the run's environment record under "energy".
#pragma once

#include <memory>

#include "engine/run/extension.h"

namespace wb::energy {

/// Never nullptr: every run is measured, by the best source the machine has.
std::unique_ptr<engine::RunExtension> make_energy_meter(const api::RunConfig& config);

}  // namespace wb::energy
