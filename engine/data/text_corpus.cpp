// Byte-level text corpus: bounded reads of regular files into one byte tensor, the vocabulary,
// the train/val split, and random windows.
#include "engine/data/text_corpus.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <torch/torch.h>

#include "engine/data/data_error.h"
#include "engine/data/regular_file.h"

namespace wb::engine::data {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTextFix = "point data.path at a text file or a folder of them";

// Fortune's .dat indexes are binary; the NUL check would catch them too, but skipping by name
// avoids reading them and keeps the rule visible.
bool skipped_by_name(const fs::path& file) {
    const std::string name = file.filename().string();
    return name.empty() || name.front() == '.' || file.extension() == ".dat";
}

std::vector<fs::path> walk_folder(const fs::path& folder, bool recursive) {
    std::vector<fs::path> files;
    std::error_code ec;
    auto consider = [&](const fs::directory_entry& entry) {
        // Symlinks are skipped because fortunes ships every file a second time as a .u8 link.
        if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) return;
        if (!skipped_by_name(entry.path())) files.push_back(entry.path());
    };
    if (recursive) {
        for (auto it = fs::recursive_directory_iterator(
                 folder, fs::directory_options::skip_permission_denied);
             it != fs::recursive_directory_iterator(); ++it) {
            const std::string name = it->path().filename().string();
            if (it->is_directory(ec) && !name.empty() && name.front() == '.') {
                it.disable_recursion_pending();  // .git and the like hold no corpus text
                continue;
            }
            consider(*it);
        }
    } else {
        for (const fs::directory_entry& entry : fs::directory_iterator(folder)) consider(entry);
    }
    std::sort(files.begin(), files.end());
    return files;
}

// A walk can fail halfway (a folder removed or made unreadable meanwhile); the user should see
// that as a data problem, not as an internal error.
std::vector<fs::path> candidate_files(const fs::path& folder, bool recursive) {
    try {
        return walk_folder(folder, recursive);
    } catch (const fs::filesystem_error& e) {
        throw DataError(std::string(e.what()) + "; check data.path and its permissions");
    }
}

DataError no_text_files(const fs::path& folder, int skipped_binary) {
    return DataError(folder.string() + ": no text files found" +
                     (skipped_binary > 0
                          ? " (" + std::to_string(skipped_binary) + " binary files skipped)"
                          : std::string()) +
                     "; point data.path at a plain-text file or a folder of them");
}

// The text of every file, joined with a newline where one is missing, read straight into one
// byte tensor: the corpus costs its size in memory once, never a string copy next to it.
struct RawText {
    torch::Tensor bytes;  ///< uint8, exactly the text
    int skipped_binary = 0;
};

RawText read_corpus(const std::vector<fs::path>& files, const fs::path& source, bool single) {
    uint64_t capacity = 0;
    for (const fs::path& file : files) {
        std::error_code ec;
        const uintmax_t bytes = fs::file_size(file, ec);
        capacity += (ec ? 0 : bytes) + 1;  // an unreadable file is reported when it is opened
        if (capacity > kMaxCorpusBytes) {
            throw DataError(file.string() + ": the text files add up to more than " +
                            std::to_string(kMaxCorpusBytes >> 20) +
                            " MiB; point data.path at a smaller file or folder");
        }
    }
    RawText raw;
    raw.bytes = torch::empty({static_cast<int64_t>(capacity)}, torch::kUInt8);
    auto* out = reinterpret_cast<char*>(raw.bytes.data_ptr<uint8_t>());
    uint64_t length = 0;
    for (const fs::path& file : files) {
        RegularFile in(file.string(), kTextFix);
        if (in.size() + 1 > capacity - length)
            throw DataError(file.string() +
                            ": grew while the corpus was read; load it again once it is written");
        char* start = out + length;
        in.read_all(start, in.size());
        if (const void* nul = std::memchr(start, '\0', in.size())) {
            if (single)
                throw DataError(file.string() + ": looks binary (NUL byte at offset " +
                                std::to_string(static_cast<const char*>(nul) - start) +
                                "); point data.path at a plain-text file");
            ++raw.skipped_binary;
            continue;
        }
        length += in.size();
        // Keeps the last line of one file from running into the first line of the next.
        if (length > 0 && out[length - 1] != '\n') out[length++] = '\n';
    }
    if (length == 0 && !single) throw no_text_files(source, raw.skipped_binary);
    raw.bytes = raw.bytes.narrow(0, 0, static_cast<int64_t>(length));
    // Skipped binary files left a gap at the end: give it back when it is large.
    if (capacity - length > length / 4) raw.bytes = raw.bytes.clone();
    return raw;
}

std::vector<fs::path> corpus_files(const std::string& path, bool* single) {
    std::error_code ec;
    *single = false;
    if (path.empty()) {
        if (!fs::is_directory(kDefaultFortunesDir, ec)) {
            throw DataError(std::string(kDefaultFortunesDir) +
                            ": fortunes corpus not found; install Debian's fortunes package "
                            "(sudo apt-get install fortunes) or set data.path to a text file "
                            "or folder");
        }
        return candidate_files(kDefaultFortunesDir, false);
    }
    if (fs::is_directory(path, ec)) return candidate_files(path, true);
    if (!fs::exists(path, ec)) throw DataError(path + ": file not found; check data.path");
    require_regular_file(path, kTextFix);
    const uintmax_t bytes = fs::file_size(path, ec);
    if (!ec && bytes > kMaxCorpusBytes) {
        throw DataError(path + ": " + std::to_string(bytes >> 20) + " MiB is more than the " +
                        std::to_string(kMaxCorpusBytes >> 20) +
                        " MiB a corpus may have; use a smaller file");
    }
    *single = true;
    return {path};
}

}  // namespace

int64_t TextCorpus::encode_char(char c) const {
    const auto less = [](char a, char b) {
        return static_cast<unsigned char>(a) < static_cast<unsigned char>(b);
    };
    const auto it = std::lower_bound(vocab.begin(), vocab.end(), c, less);
    return it != vocab.end() && *it == c ? it - vocab.begin() : -1;
}

std::string TextCorpus::decode(const torch::Tensor& ids) const {
    const torch::Tensor flat = ids.to(torch::kCPU, torch::kInt64).contiguous().view({-1});
    const int64_t* data = flat.data_ptr<int64_t>();
    const auto vocab_size = static_cast<int64_t>(vocab.size());
    std::string out;
    out.reserve(static_cast<size_t>(flat.numel()));
    for (int64_t i = 0; i < flat.numel(); ++i) {
        if (data[i] < 0 || data[i] >= vocab_size) {
            throw std::out_of_range("TextCorpus::decode: id " + std::to_string(data[i]) +
                                    " outside a vocabulary of " + std::to_string(vocab_size));
        }
        out.push_back(vocab[static_cast<size_t>(data[i])]);
    }
    return out;
}

torch::Tensor TextCorpus::encode(const std::string& s) const {
    std::vector<int64_t> ids;
    ids.reserve(s.size());
    for (const char c : s) {
        const int64_t id = encode_char(c);
        if (id >= 0) ids.push_back(id);
    }
    return torch::tensor(ids, torch::kInt64);
}

std::vector<std::string> list_text_files(const std::string& folder, bool recursive) {
    std::vector<std::string> paths;
    int skipped_binary = 0;
    for (const fs::path& file : candidate_files(folder, recursive)) {
        RegularFile in(file.string(), kTextFix);
        std::string text(in.size(), '\0');
        in.read_all(text.data(), text.size());
        if (text.find('\0') == std::string::npos)
            paths.push_back(file.string());
        else
            ++skipped_binary;
    }
    if (paths.empty()) throw no_text_files(folder, skipped_binary);
    return paths;
}

TextCorpus load_text(const std::string& path, double val_fraction) {
    if (!std::isfinite(val_fraction) || val_fraction < 0.0 || val_fraction >= 1.0) {
        throw DataError("validation fraction " + std::to_string(val_fraction) +
                        " is outside [0, 1); use e.g. 0.1");
    }
    bool single = false;
    const std::vector<fs::path> files = corpus_files(path, &single);
    const std::string source = path.empty() ? std::string(kDefaultFortunesDir) : path;
    if (files.empty()) throw no_text_files(source, 0);
    torch::Tensor ids = read_corpus(files, source, single).bytes;
    const int64_t length = ids.numel();
    if (length < kMinCorpusChars) {
        throw DataError(source + ": only " + std::to_string(length) +
                        " characters of text; a char-level model needs at least " +
                        std::to_string(kMinCorpusChars) + ", point data.path at more text");
    }

    // Bytes become token ids in place: a byte-level vocabulary never has more than 256 entries.
    uint8_t* bytes = ids.data_ptr<uint8_t>();
    std::array<bool, 256> seen{};
    for (int64_t i = 0; i < length; ++i) seen[bytes[i]] = true;
    TextCorpus corpus;
    std::array<uint8_t, 256> id_of{};
    for (int b = 0; b < 256; ++b) {
        if (!seen[b]) continue;
        id_of[b] = static_cast<uint8_t>(corpus.vocab.size());
        corpus.vocab.push_back(static_cast<char>(b));
    }
    for (int64_t i = 0; i < length; ++i) bytes[i] = id_of[bytes[i]];

    const int64_t val_length =
        std::min(length - 1, static_cast<int64_t>(std::llround(length * val_fraction)));
    // Two views of one buffer: the split costs no copy.
    corpus.train_ids = ids.narrow(0, 0, length - val_length);
    corpus.val_ids = ids.narrow(0, length - val_length, val_length);
    corpus.source = source;
    return corpus;
}

std::pair<torch::Tensor, torch::Tensor> text_batch(const torch::Tensor& ids, int64_t batch,
                                                   int64_t context, at::Generator& gen) {
    if (ids.dim() != 1) {
        throw std::invalid_argument("text_batch: ids must be 1-D, got " +
                                    std::to_string(ids.dim()) + " dimensions");
    }
    if (batch < 1 || context < 1) {
        throw std::invalid_argument("text_batch: batch and context must be positive");
    }
    const int64_t length = ids.size(0);
    if (length <= context) {
        throw DataError("the text split has " + std::to_string(length) +
                        " tokens, too few for windows of " + std::to_string(context) +
                        " plus one; lower the context length or use more text (or a larger "
                        "validation fraction)");
    }
    const torch::Tensor starts = torch::randint(0, length - context, {batch}, gen, torch::kInt64);
    const torch::Tensor offsets = torch::arange(context + 1, torch::kInt64);
    const torch::Tensor index = (starts.unsqueeze(1) + offsets).view({-1}).to(ids.device());
    const torch::Tensor windows =
        ids.index_select(0, index).view({batch, context + 1}).to(torch::kInt64);
    return {windows.narrow(1, 0, context).contiguous(), windows.narrow(1, 1, context).contiguous()};
}

}  // namespace wb::engine::data
