// Timing and size measurement of pruned models (sizes as engine/export writes them).
#include "engine/prune/measure.h"

#include <algorithm>
#include <chrono>

#include "engine/compat.h"
#include "engine/export/model_files.h"

namespace wb::prune {

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double time_once_ms(Deployable& d) {
    compat::synchronize(d.device);
    const auto t = std::chrono::steady_clock::now();
    d.infer();
    compat::synchronize(d.device);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

int64_t nonzero_params(const torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += (p != 0).sum().item<int64_t>();
    return n;
}

}  // namespace

Measurement measure(const std::function<Deployable()>& make, const Pruner* pruner, int repeats) {
    torch::NoGradGuard no_grad;
    Deployable dense = make(), compact = make();
    if (pruner) pruner->compact(compact.layout);
    dense.module->eval();
    compact.module->eval();
    Measurement m;
    time_once_ms(dense);
    time_once_ms(compact);
    std::vector<double> t_dense, t_compact;
    for (int r = 0; r < std::max(1, repeats); ++r) {
        t_dense.push_back(time_once_ms(dense));
        t_compact.push_back(time_once_ms(compact));
    }
    m.infer_ms_dense = median(t_dense);
    m.infer_ms = median(t_compact);
    m.params = nonzero_params(*compact.module);
    m.size_dense_bytes = engine::archive_bytes(*dense.module);
    m.size_compact_bytes = engine::archive_bytes(*compact.module);
    m.size_sparse_bytes = engine::sparse_bytes(*compact.module);
    return m;
}

}  // namespace wb::prune
