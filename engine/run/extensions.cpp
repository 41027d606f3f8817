// The extension registry: the one place that lists every run extension, in hook order. Data
// parallel comes first, so every other hook sees the averaged gradients; growth next, so the others
// see the grown model in the same step's hooks; pruning before the generator average, so that sees
// the masked weights after each generator step.
#include "engine/dist/data_parallel.h"
#include "engine/ema/generator_ema.h"
#include "engine/energy/energy_extension.h"
#include "engine/grow/grow_extension.h"
#include "engine/prune/prune_extension.h"
#include "engine/run/extension.h"
#include "engine/run/run_failure.h"

namespace wb::engine {

const std::vector<ExtensionEntry>& extension_registry() {
    static const std::vector<ExtensionEntry> entries = {
        {"dist", dist::make_data_parallel},     {"grow", grow::make_grow_extension},
        {"prune", prune::make_prune_extension}, {"ema", ema::make_generator_ema},
        {"energy", energy::make_energy_meter},
    };
    return entries;
}

void configure_extensions(const std::vector<std::unique_ptr<RunExtension>>& extensions,
                          RunHost& host) {
    for (const auto& e : extensions) {
        try {
            e->configure(host);
        } catch (const std::invalid_argument& err) {
            throw RunFailure(api::FailureKind::Config, err.what());
        }
    }
}

std::vector<std::unique_ptr<RunExtension>> make_extensions(const api::RunConfig& config) {
    std::vector<std::unique_ptr<RunExtension>> out;
    for (const auto& entry : extension_registry())
        if (auto e = entry.make(config)) out.push_back(std::move(e));
    return out;
}

}  // namespace wb::engine
