// Byte-level text corpus for the char-level GPT: file collection, vocabulary, train/val split,
// and the random-window batches the trainer draws from it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace wb::engine::data {

/// Folder of Debian's fortunes package, used when data.path is empty.
inline constexpr const char* kDefaultFortunesDir = "/usr/share/games/fortunes";
/// Fewer characters than this cannot fill even a few training windows.
inline constexpr int64_t kMinCorpusChars = 1000;
/// Guards against pointing data.path at a home folder: the whole corpus is held in memory.
inline constexpr uint64_t kMaxCorpusBytes = uint64_t{1} << 30;

struct TextCorpus {
    /// Every byte value that occurs in the text, sorted by unsigned value, without repeats;
    /// a token id is a position in this string.
    std::string vocab;
    /// uint8 1-D token ids (a byte-level vocabulary has at most 256 entries, so the corpus
    /// costs one byte per character): the first (1 - val_fraction) of the text, then the rest.
    /// The window functions hand out int64 ids.
    torch::Tensor train_ids;
    torch::Tensor val_ids;
    /// The file or folder the text came from, for run records and the UI.
    std::string source;

    /// Token id of `c`, or -1 when `c` is not in the vocabulary.
    int64_t encode_char(char c) const;
    /// Bytes of the ids (any integer dtype); throws std::out_of_range for an id outside vocab.
    std::string decode(const torch::Tensor& ids) const;
    /// int64 1-D ids of `s`; characters outside the vocabulary are skipped.
    torch::Tensor encode(const std::string& s) const;
};

/// The text files a folder contributes, in the order they are concatenated (sorted by path).
/// Skips symlinks, .dat files (fortune's binary indexes), names starting with '.', and files
/// containing NUL bytes; descends into subfolders only when `recursive`.
std::vector<std::string> list_text_files(const std::string& folder, bool recursive);

/// Loads a text file, or a folder of them (recursively), or with an empty path the fortunes
/// corpus (only the files directly in kDefaultFortunesDir, so its off/ folder is left out).
/// Only regular files are read (a device or FIFO is refused), each up to the size it had when
/// opened; memory is the size of the text plus a little.
/// The last `val_fraction` (0 <= f < 1) of the text becomes val_ids.
TextCorpus load_text(const std::string& path, double val_fraction);

/// `batch` random windows of `context` tokens: int64 x [B,T] and y [B,T] with y the next token of
/// each x. Start offsets come from `gen` only, so the same generator state gives the same batch.
std::pair<torch::Tensor, torch::Tensor> text_batch(const torch::Tensor& ids, int64_t batch,
                                                   int64_t context, at::Generator& gen);

}  // namespace wb::engine::data
