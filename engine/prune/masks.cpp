// Mask arithmetic. Rankings sort stably so that ties (zeros of earlier prunings, mostly) are
// broken the same way every time and pruned weights stay pruned as the sparsity grows.
#include "engine/prune/masks.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace wb::prune {

namespace {

int64_t count_of(double sparsity, int64_t n) {
    return std::clamp<int64_t>(std::llround(sparsity * static_cast<double>(n)), 0, n);
}

torch::Tensor ascending_order(const torch::Tensor& v) {
    return std::get<1>(torch::sort(v, /*stable=*/true, /*dim=*/0, /*descending=*/false));
}

}  // namespace

torch::Tensor magnitude_mask(const torch::Tensor& w, double sparsity) {
    return global_magnitude_masks({w}, sparsity)[0];
}

std::vector<torch::Tensor> global_magnitude_masks(const std::vector<torch::Tensor>& ws,
                                                  double sparsity) {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> flat;
    for (const auto& w : ws) flat.push_back(w.detach().abs().flatten().to(torch::kFloat64));
    auto all = torch::cat(flat);
    const int64_t k = count_of(sparsity, all.numel());
    auto keep = torch::ones_like(all);
    if (k > 0) keep.index_fill_(0, ascending_order(all).narrow(0, 0, k), 0.0);
    std::vector<torch::Tensor> masks;
    int64_t at = 0;
    for (const auto& w : ws) {
        masks.push_back(keep.narrow(0, at, w.numel()).view(w.sizes()).to(w.options()));
        at += w.numel();
    }
    return masks;
}

torch::Tensor two_four_mask(const torch::Tensor& w, int64_t in_dim) {
    torch::NoGradGuard no_grad;
    if (w.size(in_dim) % 4 != 0)
        throw std::invalid_argument("2:4 needs an input size divisible by 4, got " +
                                    std::to_string(w.size(in_dim)));
    auto moved = w.detach().abs().movedim(in_dim, -1).contiguous();
    auto groups = moved.view({-1, 4});
    auto top = std::get<1>(groups.topk(2, /*dim=*/1));
    auto mask = torch::zeros_like(groups).scatter_(1, top, 1.0);
    return mask.view(moved.sizes()).movedim(-1, in_dim).contiguous().to(w.options());
}

torch::Tensor unit_scores(const ChannelGroup& g, bool l2, bool per_element) {
    torch::NoGradGuard no_grad;
    auto total = torch::zeros({g.units}, torch::kFloat64);
    int64_t elements = 0;
    for (const auto& s : g.slices) {
        if (!s.scored) continue;
        auto part = s.tensor.detach()
                        .narrow(s.dim, s.offset, g.units * s.block)
                        .movedim(s.dim, 0)
                        .reshape({g.units, -1})
                        .to(torch::kCPU, torch::kFloat64);
        total += l2 ? part.pow(2).sum(1) : part.abs().sum(1);
        elements += part.size(1);
    }
    if (per_element && elements > 0) total /= static_cast<double>(elements);
    return l2 ? total.sqrt() : total;
}

torch::Tensor keep_units(const torch::Tensor& scores, double sparsity) {
    return keep_units_global({scores}, sparsity)[0];
}

std::vector<torch::Tensor> keep_units_global(const std::vector<torch::Tensor>& scores,
                                             double sparsity) {
    std::vector<int64_t> owner, left;
    for (std::size_t g = 0; g < scores.size(); ++g) {
        owner.insert(owner.end(), static_cast<std::size_t>(scores[g].numel()),
                     static_cast<int64_t>(g));
        left.push_back(scores[g].numel());
    }
    auto all = torch::cat(scores).to(torch::kFloat64);
    int64_t to_remove = count_of(sparsity, all.numel());
    std::vector<torch::Tensor> keep;
    for (const auto& s : scores) keep.push_back(torch::ones({s.numel()}, torch::kBool));
    auto order = ascending_order(all);
    const auto* idx = order.data_ptr<int64_t>();
    for (int64_t i = 0; i < order.numel() && to_remove > 0; ++i) {
        const int64_t flat = idx[i];
        const auto g = static_cast<std::size_t>(owner[static_cast<std::size_t>(flat)]);
        if (left[g] <= 1) continue;  // a layer with no unit left would cut the network
        int64_t first = 0;
        for (std::size_t j = 0; j < g; ++j) first += scores[j].numel();
        keep[g][flat - first] = false;
        --left[g];
        --to_remove;
    }
    return keep;
}

torch::Tensor slice_mask(const Slice& s, const torch::Tensor& keep) {
    auto along = torch::ones({s.tensor.size(s.dim)}, s.tensor.options());
    along.narrow(0, s.offset, keep.numel() * s.block)
        .copy_(keep.to(s.tensor.options()).repeat_interleave(s.block));
    std::vector<int64_t> shape(static_cast<std::size_t>(s.tensor.dim()), 1);
    shape[static_cast<std::size_t>(s.dim)] = along.numel();
    return along.view(shape).expand(s.tensor.sizes()).contiguous();
}

void compact(Layout& layout, const std::vector<torch::Tensor>& keep) {
    torch::NoGradGuard no_grad;
    struct Cut {
        torch::Tensor tensor;
        std::map<int64_t, torch::Tensor> along;  // dim -> bool keep over that dim
    };
    std::map<const void*, Cut> cuts;
    for (std::size_t g = 0; g < layout.groups.size(); ++g) {
        const auto& group = layout.groups[g];
        for (const auto& s : group.slices) {
            auto& cut = cuts[s.tensor.unsafeGetTensorImpl()];
            cut.tensor = s.tensor;
            auto& a = cut.along[s.dim];
            if (!a.defined()) a = torch::ones({s.tensor.size(s.dim)}, torch::kBool);
            auto part = a.narrow(0, s.offset, group.units * s.block);
            part.logical_and_(keep[g].to(torch::kBool).repeat_interleave(s.block));
        }
    }
    for (auto& [impl, cut] : cuts) {
        auto t = cut.tensor.detach();
        for (auto& [dim, along] : cut.along)
            t = t.index_select(dim, along.nonzero().view({-1}).to(t.device()));
        cut.tensor.set_data(t.contiguous());
        if (cut.tensor.grad().defined()) cut.tensor.mutable_grad() = torch::Tensor();
    }
    for (auto& fix : layout.after_compact) fix();
}

double cubic_sparsity(int64_t step, double initial, double target, int64_t start, int64_t end) {
    if (step <= start) return initial;
    if (step >= end) return target;
    const double progress = static_cast<double>(step - start) / static_cast<double>(end - start);
    return target + (initial - target) * std::pow(1.0 - progress, 3);
}

}  // namespace wb::prune
