// Batch statistics over every rank: each rank sums x and x^2 per channel over its share, the sums
// are all-reduced, and the normalisation uses the global mean and biased variance. The all-reduce
// is an autograd function whose backward all-reduces the gradient of the sums, so each rank's
// parameters receive the sensitivity of every rank's loss to the shared statistics; averaged
// over the ranks (the gradient all-reduce) that is the one-process gradient.
#include "engine/models/sync_batch_norm.h"

// LibTorch 1.13 exports no BatchNormImplBase<2> symbol: BatchNorm2dImpl's vtable lives in
// libtorch, but a class derived from it needs the base's pretty_print for its construction
// vtable. Defined here (the same output as LibTorch's).
template <>
void torch::nn::BatchNormImplBase<2, torch::nn::BatchNorm2dImpl>::pretty_print(
    std::ostream& stream) const {
    stream << "torch::nn::BatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
           << ")";
}

namespace wb::models {
namespace {

thread_local const SumOverRanks* t_sum = nullptr;

struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 int64_t sum_address) {
        ctx->saved_data["sum"] = sum_address;
        auto y = x.detach().clone();
        (*reinterpret_cast<const SumOverRanks*>(sum_address))(y);
        return y;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grad) {
        const auto* sum = reinterpret_cast<const SumOverRanks*>(ctx->saved_data["sum"].toInt());
        auto g = grad[0].contiguous().clone();
        (*sum)(g);
        return {g, torch::Tensor()};
    }
};

}  // namespace

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& x) {
    if (!is_training() || t_sum == nullptr) return BatchNorm2dImpl::forward(x);
    const int64_t c = x.size(1);
    const auto xf = x.to(torch::kFloat32);
    const double local = static_cast<double>(x.numel() / c);
    auto stats = torch::cat(
        {xf.sum({0, 2, 3}), (xf * xf).sum({0, 2, 3}), torch::full({1}, local, xf.options())});
    stats = AllReduceSum::apply(stats, reinterpret_cast<int64_t>(t_sum));
    const auto n = stats[2 * c].detach();
    const auto mean = stats.narrow(0, 0, c) / n;
    const auto var = (stats.narrow(0, c, c) / n - mean * mean).clamp_min(0);
    {
        torch::NoGradGuard no_grad;
        const double m = options.momentum().value_or(0.1);
        const double count = n.item<double>();
        running_mean.mul_(1 - m).add_(mean.detach(), m);
        running_var.mul_(1 - m).add_(var.detach() * (count / std::max(1.0, count - 1)), m);
        num_batches_tracked.add_(1);
    }
    const auto shape = std::vector<int64_t>{1, c, 1, 1};
    auto y = (xf - mean.view(shape)) * torch::rsqrt(var.view(shape) + options.eps());
    if (options.affine()) y = y * weight.view(shape) + bias.view(shape);
    return y.to(x.scalar_type());
}

BatchStatsScope::BatchStatsScope(const SumOverRanks* sum) : m_previous(t_sum) {
    t_sum = sum;
}
BatchStatsScope::~BatchStatsScope() {
    t_sum = m_previous;
}

}  // namespace wb::models
