// The field table's energy settings: the prices and grid intensity that turn a run's measured or
// estimated joules into cost/total and carbon/grams, and the powers the estimate assumes.
#include "engine/api/schema_build.h"

namespace wb::api::schema_build {

void add_energy_fields(std::vector<FieldSpec>& s) {
    using T = FieldType;
    s.push_back(ranged(
        make(WB_BIND(energy.price_kwh, double), T::Float, "Energy", "Price per kWh",
             "What 1 kWh of electricity costs, in your currency; cost/total is energy/kwh times "
             "this (plus GPU rent). The default 0.30 is about the European Union's average "
             "household price of 2024 (Eurostat: 0.29 EUR); set your own tariff. Changes no "
             "training."),
        0.0, 100.0));
    s.push_back(ranged(
        make(WB_BIND(energy.price_gpu_hour, double), T::Float, "Energy", "Price per GPU-hour",
             "CUDA runs only: rent of one GPU for an hour, added to cost/total for every hour the "
             "run trains on it. 0 (the default) counts only electricity, as on your own "
             "hardware; a cloud price (a data-centre GPU rents for about 1-4 an hour) counts "
             "the rent too. Changes no training."),
        0.0, 1000.0));
    s.push_back(
        ranged(make(WB_BIND(energy.carbon_g_per_kwh, double), T::Float, "Energy",
                    "Grid carbon intensity (gCO2e/kWh)",
                    "Grams of CO2-equivalent emitted per kWh drawn from your grid; carbon/grams is "
                    "energy/kwh times this. The default 475 is the world average that CodeCarbon "
                    "assumes when it does not know the grid; grids range from about 20 (hydro, "
                    "nuclear) to over 800 (coal). Look up your own (e.g. on electricitymaps.com). "
                    "Changes no training."),
               0.0, 2000.0));
    s.push_back(ranged(
        make(WB_BIND(energy.cpu_watts_per_core, double), T::Float, "Energy",
             "Estimate: watts per busy core",
             "Used only where the machine has no readable RAPL counter (virtual machines, "
             "most non-root desktops): energy/joules is then the process's CPU time times "
             "this. The default 10 W is a server core under load (a 150 W 16-core CPU draws "
             "about 9 W per core); laptop cores draw 2-5 W, desktop cores 10-20 W. Idle power "
             "of the machine is not counted. Changes no training."),
        0.1, 500.0));
    s.push_back(ranged(
        make(WB_BIND(energy.gpu_watts, double), T::Float, "Energy", "Estimate: GPU watts",
             "CUDA runs only, and only where NVML cannot read the GPU's energy or power: the "
             "GPU's draw at full utilisation, times its utilisation (1 when NVML is missing "
             "too, an upper bound) and the training time. The default 300 W is a data-centre "
             "GPU's board power; use your card's (nvidia-smi shows it). Changes no training."),
        1.0, 2000.0));
}

}  // namespace wb::api::schema_build
