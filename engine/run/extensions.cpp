// The extension registry: the one place that lists every run extension, in hook order. Pruning
// comes first, so the generator average sees the masked weights after each generator step.
#include "engine/ema/generator_ema.h"
#include "engine/energy/energy_extension.h"
#include "engine/prune/prune_extension.h"
#include "engine/run/extension.h"

namespace wb::engine {

const std::vector<ExtensionEntry>& extension_registry() {
    static const std::vector<ExtensionEntry> entries = {
        {"prune", prune::make_prune_extension},
        {"ema", ema::make_generator_ema},
        {"energy", energy::make_energy_meter},
    };
    return entries;
}

std::vector<std::unique_ptr<RunExtension>> make_extensions(const api::RunConfig& config) {
    std::vector<std::unique_ptr<RunExtension>> out;
    for (const auto& entry : extension_registry())
        if (auto e = entry.make(config)) out.push_back(std::move(e));
    return out;
}

}  // namespace wb::engine
