// A network's structure as the model that owns it describes it: its weight tensors (for
// unstructured pruning and, later, quantization) and its structured units (channels, neurons,
// heads) with every tensor slice that belongs to each. Each model writes its own
// (engine/models/layouts.cpp); pruning and the other compression features only read it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace wb::models {

/// One prunable weight; magnitude and 2:4 pruning mask its elements.
struct Layer {
    std::string name;  ///< the module's path, e.g. "g.net.3" or "blocks.0.attn.qkv"
    torch::Tensor weight;
    int64_t in_dim = 1;      ///< input channels/features (Linear, Conv 1; ConvTranspose 0)
    bool by_default = true;  ///< in the default selection (not first/last layer)
};

/// Elements of one tensor that belong to the structured units of a group: unit u covers the
/// indices [offset + u * block, offset + (u + 1) * block) along `dim`.
struct Slice {
    std::string name;  ///< the tensor's path, e.g. "g.net.3.weight"
    torch::Tensor tensor;
    int64_t dim = 0;
    int64_t offset = 0;
    int64_t block = 1;
    bool scored = false;  ///< its weights make up the unit's norm (the producing layer's weight)
    bool masked = true;   ///< zeroed with the unit (BatchNorm running stats are only compacted)
};

/// The output channels (neurons, heads) of one layer and everything tied to them: the layer's
/// weight rows and bias, the following BatchNorm's entries and the next layer's input slices.
struct ChannelGroup {
    std::string name;  ///< the producing layer's name, as in Layer
    int64_t units = 0;
    std::vector<Slice> slices;
    bool by_default = true;
};

struct Layout {
    std::vector<Layer> layers;
    std::vector<ChannelGroup> groups;
    /// Run after compaction: update module fields that depend on tensor sizes (head counts,
    /// reshape sizes).
    std::vector<std::function<void()>> after_compact;
};

/// Appends `more` to `into`.
void append(Layout& into, Layout more);

/// Copies every parameter and buffer of `from` into `to` (same architecture).
void copy_state(const torch::nn::Module& from, torch::nn::Module& to);

}  // namespace wb::models
