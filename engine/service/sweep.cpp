// Sweep expansion and group statistics; pure, so tests check them against hand-computed values.
#include "engine/service/sweep.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace wb::service {

std::optional<SweepAxis> parse_sweep_axis(const std::string& text, std::string* why) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 >= text.size()) {
        *why = "--sweep '" + text + "': write KEY=V1,V2,... such as --sweep optim.lr=1e-3,3e-3";
        return std::nullopt;
    }
    SweepAxis axis;
    axis.key = text.substr(0, eq);
    size_t at = eq + 1;
    while (at <= text.size()) {
        const size_t comma = std::min(text.find(',', at), text.size());
        const std::string v = text.substr(at, comma - at);
        if (v.empty()) {
            *why = "--sweep '" + text + "': an empty value; separate the values with single commas";
            return std::nullopt;
        }
        if (std::find(axis.values.begin(), axis.values.end(), v) != axis.values.end()) {
            *why = "--sweep '" + text + "': " + v + " is listed twice";
            return std::nullopt;
        }
        axis.values.push_back(v);
        at = comma + 1;
    }
    return axis;
}

std::vector<SweepMember> expand_sweep(const std::string& sweep, const std::vector<SweepAxis>& axes,
                                      int seeds, int64_t base_seed) {
    std::vector<SweepMember> out{SweepMember{sweep, {}}};
    const auto short_key = [](const std::string& key) {
        const size_t dot = key.rfind('.');
        return dot == std::string::npos ? key : key.substr(dot + 1);
    };
    std::vector<SweepAxis> all = axes;
    if (seeds > 1) {
        SweepAxis seed{"train.seed", {}};
        for (int i = 0; i < seeds; ++i) seed.values.push_back(std::to_string(base_seed + i));
        all.push_back(seed);
    }
    for (const auto& axis : all) {
        std::vector<SweepMember> next;
        for (const auto& m : out)
            for (const auto& v : axis.values) {
                SweepMember g = m;
                g.name += " " + short_key(axis.key) + "=" + v;
                g.sets.push_back(axis.key + "=" + v);
                next.push_back(std::move(g));
            }
        out = std::move(next);
    }
    return out;
}

GroupStat group_stat(const std::vector<double>& values) {
    GroupStat s;
    double sum = 0;
    for (double v : values) {
        if (std::isnan(v)) continue;
        if (s.n == 0 || v < s.min) s.min = v;
        if (s.n == 0 || v > s.max) s.max = v;
        sum += v;
        ++s.n;
    }
    if (s.n == 0) return s;
    s.mean = sum / s.n;
    if (s.n > 1) {
        double sq = 0;
        for (double v : values)
            if (!std::isnan(v)) sq += (v - s.mean) * (v - s.mean);
        s.sd = std::sqrt(sq / (s.n - 1));
    }
    return s;
}

std::vector<BandPoint> group_band(
    const std::vector<std::vector<std::pair<int64_t, double>>>& series) {
    std::map<int64_t, std::vector<double>> at;
    for (const auto& s : series)
        for (const auto& [step, v] : s) at[step].push_back(v);
    std::vector<BandPoint> out;
    for (const auto& [step, values] : at)
        if (values.size() == series.size()) out.push_back({step, group_stat(values)});
    return out;
}

}  // namespace wb::service
