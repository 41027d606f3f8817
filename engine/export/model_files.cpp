// Model files: LibTorch's archive and the sparse format, measured and written atomically.
#include "engine/export/model_files.h"

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"

namespace wb::engine {
namespace {

int64_t size_of(torch::serialize::OutputArchive& ar) {
    int64_t bytes = 0;
    ar.save_to([&bytes](const void*, size_t n) {
        bytes += static_cast<int64_t>(n);
        return n;
    });
    return bytes;
}

}  // namespace

int64_t archive_bytes(const torch::nn::Module& m) {
    torch::serialize::OutputArchive ar;
    m.save(ar);
    return size_of(ar);
}

int64_t archive_bytes(torch::serialize::OutputArchive& archive) {
    return size_of(archive);
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
    write_file_atomic(path, bytes);
}

}  // namespace wb::engine
