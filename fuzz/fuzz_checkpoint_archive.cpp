// A checkpoint or exported model archive (a zip file) read as the checkpoint reader reads it:
// the CRC-32 check of every record first, then LibTorch's archive reader on what passed. Any
// bytes give a reason or an exception, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>

#include <torch/serialize.h>

#include "engine/run/archive_check.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string path = wb::fuzz::input_file(data, size, ".pt");
    if (wb::engine::checkpoint::archive_crc_problem(path).empty()) {
        try {
            torch::serialize::InputArchive archive;
            archive.load_from(path);
            for (const auto& key : archive.keys()) {
                torch::Tensor t;
                if (archive.try_read(key, t)) (void)t.numel();
            }
        } catch (const std::exception&) {
        }
    }
    std::remove(path.c_str());
    return 0;
}
