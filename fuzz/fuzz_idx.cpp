// An IDX file, plain or gzip (the first byte chooses the suffix), as `fid` and the image
// presets read it: a DataError for anything but a sane file, never a crash or a huge allocation.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include "engine/data/data_error.h"
#include "engine/data/idx.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const bool gz = size > 0 && (data[0] & 1) != 0;
    const std::string path = wb::fuzz::input_file(data, size, gz ? ".idx.gz" : ".idx");
    try {
        (void)wb::engine::data::read_idx(path);
    } catch (const wb::engine::data::DataError&) {
    }
    std::remove(path.c_str());
    return 0;
}
