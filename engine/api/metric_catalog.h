// The catalog of every metric name the engine reports: its unit, the plot it belongs to, which
// way is better and what it means. The UI and the CLI read it instead of guessing from names.
#pragma once

#include <string>
#include <vector>

namespace wb::api {

/// Which way of a metric means a better run. None: there is no such direction, as for the
/// adversarial losses of a GAN, which trade off against each other and do not measure quality.
enum class Better { None = 0, Higher, Lower };

/// The plot a metric is drawn in; the declaration order is the display order. Other: drawn on
/// demand, one at a time (also every name that is not in the catalog). Energy: drawn on demand
/// too; its headline (energy/joules) is a column of the history and the compare summary.
enum class PlotGroup { Other = 0, Loss, Quality, Throughput, Memory, Energy };

struct MetricInfo {
    std::string name;  ///< exact metric name, or a prefix ending in '_' (grad/norm_d, _g, ...)
    /// Model family this entry describes ("gan", "vae", "lm"); empty: every family. A name
    /// whose meaning depends on the model (loss/train) has one entry per family.
    std::string family;
    std::string unit;  ///< as stored: "bytes", "ms", "nats/token", "fraction", ...; "" unitless
    PlotGroup group = PlotGroup::Other;
    Better better = Better::None;
    std::string meaning;  ///< one line for tooltips and `workbench-cli show`
};

/// Every entry; within a group, the order is the preference for a run's headline metric.
const std::vector<MetricInfo>& metric_catalog();

/// The family whose metric meanings apply to model.kind `kind`: "gan" (gan_mlp, dcgan, progan),
/// "vae", "lm" (gpt); "" for a kind the catalog does not know.
std::string model_family(const std::string& kind);

/// The entry for `name` as a run of model.kind `kind` reports it: the family's own entry if there
/// is one, else the entry for every family; nullptr when the catalog does not have the name. For
/// an unknown kind a family's entry still answers (group and direction agree across families).
const MetricInfo* find_metric(const std::string& name, const std::string& kind = {});

/// True when the two values measure the same thing and a delta between them means something:
/// the same name with the same catalog entry (or, for a name not in the catalog, the same
/// model family).
bool same_meaning(const std::string& name_a, const std::string& kind_a, const std::string& name_b,
                  const std::string& kind_b);

/// "higher is better", "lower is better" or "no better direction".
const char* to_string(Better better);

}  // namespace wb::api
