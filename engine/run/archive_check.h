// The CRC-32 check of a LibTorch archive (a zip file: checkpoints and exported models). The
// writer stores a CRC-32 for every record, but LibTorch's reader never checks them, so damaged
// tensor bytes would load silently; the checkpoint reader checks them first.
#pragma once

#include <string>

namespace wb::engine::checkpoint {

/// Empty when every stored record of the zip archive at `path` matches its CRC-32; otherwise
/// what is wrong ("record archive/data/3 fails its CRC-32 check (stored 1a2b3c4d, read
/// 5e6f7a8b)", "no zip directory", ...). Never throws.
std::string archive_crc_problem(const std::string& path);

}  // namespace wb::engine::checkpoint
