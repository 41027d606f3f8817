// Pruner: applies a run's `prune` config to a model layout. It decides when the schedule
// prunes, computes the masks, keeps pruned weights at zero after every optimizer step, and
// saves and restores its masks with the checkpoint.
#pragma once

#include <string>
#include <vector>

#include "engine/api/run_config.h"
#include "engine/prune/layout.h"

namespace wb::prune {

class Pruner {
public:
    /// Selects the layers named by `config.layers` (empty: the layout's default set). Throws
    /// std::invalid_argument naming the unknown or unsuitable layers and the valid names.
    Pruner(const api::PruneConfig& config, Layout layout);

    /// The sparsity the schedule has reached after `step` completed steps (0 before it starts).
    double scheduled(int64_t step) const;
    /// Re-ranks and re-masks when the schedule prunes at `step`; true when it did.
    bool update(int64_t step);
    /// Prunes to `sparsity` now (re-ranking the current weights) and enforces the masks.
    void prune_to(double sparsity);
    /// Multiplies every masked tensor by its mask, so pruned weights are exactly zero.
    void enforce();
    /// Enforces only the masks of tensors that share storage with `params` (one optimizer's
    /// parameters), so re-masking one network never touches another's weights in place.
    void enforce(const std::vector<torch::Tensor>& params);

    /// Zero share of the masked weight matrices (biases and BatchNorm vectors not counted).
    double sparsity() const;
    /// The sparsity the masks were last computed for.
    double current_target() const { return m_target; }
    bool structured() const { return m_method == "channel"; }
    /// Removes the pruned units from `other` (a copy of the model with the same names) in place;
    /// does nothing for the unstructured methods.
    void compact(Layout& other) const;
    /// Units kept per selected group (channel), in selection order.
    const std::vector<torch::Tensor>& kept_units() const { return m_keep; }
    std::string describe() const;

    void save(torch::serialize::OutputArchive& archive) const;
    /// Throws std::runtime_error when the archive belongs to another selection of layers.
    void load(torch::serialize::InputArchive& archive);

private:
    struct Masked {
        std::string name;
        torch::Tensor tensor, mask;
    };
    void rebuild_masks();
    Masked& masked_entry(const std::string& name, const torch::Tensor& t);

    api::PruneConfig m_config;
    std::string m_method;
    std::vector<Layer> m_layers;         // selected, magnitude and 2:4
    std::vector<ChannelGroup> m_groups;  // selected, channel
    std::vector<torch::Tensor> m_keep;   // per selected group
    std::vector<Masked> m_masked;
    double m_target = 0;
};

}  // namespace wb::prune
