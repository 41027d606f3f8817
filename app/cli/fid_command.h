// `workbench-cli fid A B`: the Fréchet (and kernel) distance between two image sets, each an IDX
// images file or a folder of PNGs, on the cached Fashion-MNIST feature extractor.
#pragma once

#include <cstdint>
#include <string>

namespace wb::cli {

struct FidOptions {
    std::string a, b;
    int64_t limit = 0;      ///< images per set, 0: all
    std::string extractor;  ///< empty: the default in the data folder
    std::string data;       ///< Fashion-MNIST folder for training the extractor; empty: default
    int64_t threads = 0;    ///< 0: every core
    bool json = false;
};

int fid_command(const FidOptions& options);

}  // namespace wb::cli
