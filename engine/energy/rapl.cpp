// Reading the powercap zones: one small text file per value, read whole each time.
#include "engine/energy/rapl.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace wb::energy {
namespace {

namespace fs = std::filesystem;

// The first line of a sysfs file, or nullopt with the system's reason in `why`.
std::optional<std::string> read_line(const std::string& path, std::string* why) {
    std::FILE* f = std::fopen(path.c_str(), "r");
    if (!f) {
        *why = path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    char buf[128] = {0};
    const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
    const int err = errno;
    std::fclose(f);
    if (!ok) {
        *why = path + ": " + (err ? std::strerror(err) : "empty");
        return std::nullopt;
    }
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::optional<uint64_t> read_counter(const std::string& path, std::string* why) {
    const auto line = read_line(path, why);
    if (!line) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(line->c_str(), &end, 10);
    if (line->empty() || *end != '\0' || errno == ERANGE) {
        *why = path + ": '" + *line + "' is not a counter";
        return std::nullopt;
    }
    return static_cast<uint64_t>(v);
}

bool wanted(const std::string& name) {
    return name.rfind("package", 0) == 0 || name == "dram";
}

}  // namespace

uint64_t rapl_delta_uj(uint64_t previous, uint64_t now, uint64_t max_uj) {
    if (now >= previous) return now - previous;
    return max_uj >= previous ? max_uj - previous + now : now;
}

std::optional<RaplReader> RaplReader::open(const std::string& root, std::string* why) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        *why = root +
               " does not exist: this kernel exposes no RAPL energy counters (virtual "
               "machines and containers usually do not)";
        return std::nullopt;
    }
    std::vector<std::string> zones;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        const std::string zone = entry.path().filename().string();
        if (zone.rfind("intel-rapl:", 0) == 0) zones.push_back(zone);
    }
    std::sort(zones.begin(), zones.end());
    RaplReader r;
    for (const auto& zone : zones) {
        const std::string dir = root + "/" + zone;
        std::string problem;
        const auto name = read_line(dir + "/name", &problem);
        if (!name) {
            r.m_skipped.push_back(zone + ": " + problem);
            continue;
        }
        if (!wanted(*name)) continue;
        RaplDomain d;
        d.zone = zone;
        d.name = *name;
        d.energy_path = dir + "/energy_uj";
        const auto max = read_counter(dir + "/max_energy_range_uj", &problem);
        const auto now = max ? read_counter(d.energy_path, &problem) : std::nullopt;
        if (!now) {
            r.m_skipped.push_back(zone + " (" + d.name + "): " + problem);
            continue;
        }
        d.max_uj = *max;
        d.last_uj = *now;
        r.m_domains.push_back(std::move(d));
    }
    if (!r.m_domains.empty()) return r;
    if (r.m_skipped.empty()) {
        *why = root + " has no RAPL package or dram domain (" + std::to_string(zones.size()) +
               " intel-rapl zones)";
    } else {
        *why = "the RAPL counters cannot be read (" + r.m_skipped.front() +
               "). Since Linux 5.10 energy_uj is readable only by root (CVE-2020-8694); to "
               "measure, run as root or allow reading until the next boot with `sudo chmod a+r " +
               root + "/intel-rapl:*/energy_uj " + root + "/intel-rapl:*:*/energy_uj`";
    }
    return std::nullopt;
}

double RaplReader::joules() {
    for (auto& d : m_domains) {
        std::string ignored;
        const auto now = read_counter(d.energy_path, &ignored);
        if (!now) continue;
        m_joules += static_cast<double>(rapl_delta_uj(d.last_uj, *now, d.max_uj)) * 1e-6;
        d.last_uj = *now;
    }
    return m_joules;
}

std::vector<std::string> RaplReader::domain_names() const {
    std::vector<std::string> names;
    for (const auto& d : m_domains) names.push_back(d.name);
    return names;
}

}  // namespace wb::energy
