// The files a trained model is exported as: LibTorch's archive (what torch::save writes) and the
// workbench's sparse format. Pruning measures its sizes with the same functions.
#pragma once

#include <string>

#include <torch/torch.h>

namespace wb::engine {

/// Bytes of `m` serialised as LibTorch's archive (what torch::save writes).
int64_t archive_bytes(const torch::nn::Module& m);
/// Bytes `archive` takes as a file (what write_archive writes).
int64_t archive_bytes(torch::serialize::OutputArchive& archive);

/// The sparse format: per tensor either its dense values or a bit per element (1 = non-zero,
/// packed 8 per byte) plus the non-zero values, whichever is smaller, with an index of names
/// and shapes. Returns the archive that `sparse_bytes` measures and export writes.
torch::serialize::OutputArchive sparse_archive(const torch::nn::Module& m);
int64_t sparse_bytes(const torch::nn::Module& m);

/// Writes `archive` to `path` (throws std::runtime_error naming the path).
void write_archive(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace wb::engine
