// Timing and size measurement of pruned models.
#include "engine/prune/measure.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/compat.h"

namespace wb::prune {

namespace {

int64_t size_of(torch::serialize::OutputArchive& ar) {
    int64_t bytes = 0;
    ar.save_to([&bytes](const void*, size_t n) {
        bytes += static_cast<int64_t>(n);
        return n;
    });
    return bytes;
}

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

int64_t archive_bytes(const torch::nn::Module& m) {
    torch::serialize::OutputArchive ar;
    m.save(ar);
    return size_of(ar);
}

torch::serialize::OutputArchive sparse_archive(const torch::nn::Module& m) {
    torch::NoGradGuard no_grad;
    torch::serialize::OutputArchive ar;
    nlohmann::json index = nlohmann::json::array();
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto& p : m.named_parameters()) tensors.emplace_back(p.key(), p.value());
    for (const auto& b : m.named_buffers()) tensors.emplace_back(b.key(), b.value());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto t = tensors[i].second.detach().cpu().contiguous();
        const std::string key = "t" + std::to_string(i);
        auto flat = t.flatten();
        const int64_t nnz = (flat != 0).sum().item<int64_t>();
        const int64_t bitmap = (flat.numel() + 7) / 8;
        const bool sparse = t.is_floating_point() &&
                            bitmap + nnz * t.element_size() < flat.numel() * t.element_size();
        index.push_back(
            {{"name", tensors[i].first}, {"shape", t.sizes().vec()}, {"sparse", sparse}});
        if (!sparse) {
            ar.write(key, t, /*is_buffer=*/true);
            continue;
        }
        auto nonzero = flat != 0;
        auto bits = torch::zeros({bitmap * 8}, torch::kUInt8);
        bits.narrow(0, 0, flat.numel()).copy_(nonzero);
        auto weights = torch::tensor({128, 64, 32, 16, 8, 4, 2, 1}, torch::kInt32);
        auto packed = (bits.view({bitmap, 8}).to(torch::kInt32) * weights).sum(1).to(torch::kUInt8);
        ar.write(key + ".bitmap", packed, true);
        ar.write(key + ".values", flat.masked_select(nonzero), true);
    }
    ar.write("index", c10::IValue(index.dump()));
    return ar;
}

int64_t sparse_bytes(const torch::nn::Module& m) {
    auto ar = sparse_archive(m);
    return size_of(ar);
}

void write_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
    std::string bytes;
    archive.save_to([&bytes](const void* data, size_t n) {
        bytes.append(static_cast<const char*>(data), n);
        return n;
    });
    engine::write_file_atomic(path, bytes);
}

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
    m.size_dense_bytes = archive_bytes(*dense.module);
    m.size_compact_bytes = archive_bytes(*compact.module);
    m.size_sparse_bytes = sparse_bytes(*compact.module);
    return m;
}

}  // namespace wb::prune
