// RAPL energy counters read through the Linux powercap sysfs (/sys/class/powercap/intel-rapl:*,
// which AMD CPUs fill too): every package and DRAM domain, summed, with counter wrap-around.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wb::energy {

inline constexpr const char* kPowercapRoot = "/sys/class/powercap";

struct RaplDomain {
    std::string zone;         ///< "intel-rapl:0", "intel-rapl:0:0"
    std::string name;         ///< its `name` file: "package-0", "dram"
    std::string energy_path;  ///< its energy_uj: microjoules, wrapping at max_uj
    uint64_t max_uj = 0;      ///< max_energy_range_uj
    uint64_t last_uj = 0;     ///< the previous reading
};

/// The package and DRAM domains under a powercap root. Core, uncore and psys domains are left
/// out: core and uncore are parts of their package, psys is the whole platform (it would count
/// the packages twice), and intel-rapl-mmio repeats the package counter.
class RaplReader {
public:
    /// nullopt when the root has no readable package or DRAM domain; `why` then says what was
    /// found and how to make it readable.
    static std::optional<RaplReader> open(const std::string& root, std::string* why);

    /// Joules drawn since open(), over every readable domain. A domain whose counter cannot be
    /// read this time adds nothing now and catches up at its next good reading.
    double joules();

    /// "package-0", "dram", ...
    std::vector<std::string> domain_names() const;
    /// Domains that were found but could not be used, each with its reason.
    const std::vector<std::string>& skipped() const { return m_skipped; }

private:
    std::vector<RaplDomain> m_domains;
    std::vector<std::string> m_skipped;
    double m_joules = 0;
};

/// Microjoules between two readings of a counter that wraps at `max_uj`: a reading below the
/// previous one means it passed max_uj once.
uint64_t rapl_delta_uj(uint64_t previous, uint64_t now, uint64_t max_uj);

}  // namespace wb::energy
