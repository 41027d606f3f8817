// A text corpus file (data.path of the GPT presets): loaded, split, encoded and decoded again.
// Too little text is a DataError; any bytes at all must round-trip through the vocabulary.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "engine/data/data_error.h"
#include "engine/data/text_corpus.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string path = wb::fuzz::input_file(data, size, ".txt");
    try {
        const auto corpus = wb::engine::data::load_text(path, 0.1);
        const std::string text = corpus.decode(corpus.train_ids);
        if (corpus.encode(text).numel() != corpus.train_ids.numel()) std::abort();
    } catch (const wb::engine::data::DataError&) {
    }
    std::remove(path.c_str());
    return 0;
}
