#include "engine/dist/grad_buckets.h"

namespace wb::engine::dist {
namespace {
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kFirstBucketMb = 1.0;  // DDP's first bucket
}  // namespace

GradientBuckets::GradientBuckets(Collectives& comm, std::vector<torch::Tensor> params,
                                 double bucket_mb)
    : m_comm(comm), m_params(std::move(params)) {
    m_bucket_of.assign(m_params.size(), 0);
    m_offset.assign(m_params.size(), 0);
    m_filled.assign(m_params.size(), 0);
    double cap = std::min(kFirstBucketMb, bucket_mb) * kMiB;
    int64_t bytes = 0, numel = 0;
    std::vector<int64_t> sizes;
    for (size_t k = m_params.size(); k-- > 0;) {
        const auto& p = m_params[k];
        const int64_t b = p.numel() * static_cast<int64_t>(p.element_size());
        const bool new_dtype =
            !m_buckets.empty() && !m_buckets.back().members.empty() &&
            m_params[m_buckets.back().members.front()].scalar_type() != p.scalar_type();
        if (m_buckets.empty() || new_dtype || (bytes > 0 && static_cast<double>(bytes + b) > cap)) {
            if (!m_buckets.empty()) {
                sizes.push_back(numel);
                cap = bucket_mb * kMiB;
            }
            m_buckets.emplace_back();
            bytes = numel = 0;
        }
        m_bucket_of[k] = m_buckets.size() - 1;
        m_offset[k] = numel;
        m_buckets.back().members.push_back(k);
        bytes += b;
        numel += p.numel();
    }
    sizes.push_back(numel);
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        const auto& first = m_params[m_buckets[i].members.front()];
        m_buckets[i].flat = torch::zeros({sizes[i]}, first.options().requires_grad(false));
    }
}

bool GradientBuckets::covers(const std::vector<torch::Tensor>& params) const {
    if (params.size() != m_params.size()) return false;
    for (size_t i = 0; i < params.size(); ++i)
        if (!params[i].is_same(m_params[i])) return false;
    return true;
}

void GradientBuckets::arm() {
    for (auto& b : m_buckets) {
        b.pending = b.members.size();
        b.wait = nullptr;
    }
    std::fill(m_filled.begin(), m_filled.end(), 0);
    m_next = 0;
    m_armed = true;
}

void GradientBuckets::fill(size_t index, const torch::Tensor& grad) {
    Bucket& b = m_buckets[m_bucket_of[index]];
    auto slot = b.flat.narrow(0, m_offset[index], m_params[index].numel());
    if (grad.defined())
        slot.copy_(grad.reshape({-1}));
    else
        slot.zero_();
    m_filled[index] = 1;
    --b.pending;
}

void GradientBuckets::start_ready() {
    while (m_next < m_buckets.size() && m_buckets[m_next].pending == 0) {
        m_buckets[m_next].wait = m_comm.all_reduce_sum_async(m_buckets[m_next].flat);
        ++m_next;
    }
}

void GradientBuckets::ready(size_t index, const torch::Tensor& grad) {
    if (!m_armed || m_filled[index]) return;
    torch::NoGradGuard no_grad;
    fill(index, grad);
    start_ready();
}

void GradientBuckets::finish() {
    if (!m_armed) return;
    m_armed = false;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < m_params.size(); ++i)
        if (!m_filled[i]) fill(i, m_params[i].grad());
    start_ready();
    const double world = m_comm.world();
    for (auto& b : m_buckets) {
        b.wait();
        b.flat.div_(world);
        for (size_t k : b.members) {
            auto& p = m_params[k];
            auto avg = b.flat.narrow(0, m_offset[k], p.numel()).view_as(p);
            if (p.grad().defined())
                p.mutable_grad().copy_(avg);
            else
                p.mutable_grad() = avg.clone();
        }
    }
}

}  // namespace wb::engine::dist
