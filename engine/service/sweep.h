// Sweeps (issue 18): a grid over config keys and seeds that becomes a group of queued runs, and
// the group's statistics (mean, sample sd, min, max) that the history and compare show.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wb::service {

/// One `--sweep key=v1,v2,...`.
struct SweepAxis {
    std::string key;
    std::vector<std::string> values;
};

/// Parses "optim.lr=1e-3,3e-3"; nullopt with `why` naming the fix for anything else.
std::optional<SweepAxis> parse_sweep_axis(const std::string& text, std::string* why);

struct SweepMember {
    std::string name;  ///< "<sweep> lr=0.001 seed=43": the sweep's name, then what varies
    std::vector<std::string> sets;  ///< "--set" overrides, applied after the sweep's own
};

/// The grid of `axes` (the first axis varies slowest) times `seeds` seeds (base_seed,
/// base_seed + 1, ...; seeds <= 1: no seed axis). No axes and one seed gives one member.
std::vector<SweepMember> expand_sweep(const std::string& sweep, const std::vector<SweepAxis>& axes,
                                      int seeds, int64_t base_seed);

struct GroupStat {
    int n = 0;
    double mean = 0;
    double sd = 0;  ///< sample standard deviation (n - 1); 0 for one value
    double min = 0;
    double max = 0;
};

/// NaN values are skipped (a diverged member has no value to average); n says how many counted.
GroupStat group_stat(const std::vector<double>& values);

/// A group's curve: at each step that every member has, the members' values' statistics.
struct BandPoint {
    int64_t step = 0;
    GroupStat stat;
};
/// `series`: each member's (step, value) points ordered by step.
std::vector<BandPoint> group_band(
    const std::vector<std::vector<std::pair<int64_t, double>>>& series);

}  // namespace wb::service
