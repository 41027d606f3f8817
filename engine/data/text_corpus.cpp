#include "engine/data/text_corpus.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <torch/torch.h>

#include "engine/data/data_error.h"

namespace wb::engine::data {
namespace {

namespace fs = std::filesystem;

struct TextFile {
    std::string path;
    std::string text;
};

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw DataError(file.string() + ": cannot be opened for reading; check its permissions");
    }
    std::ostringstream out;
    out << in.rdbuf();
    return std::move(out).str();
}

// Fortune's .dat indexes are binary; the NUL check would catch them too, but skipping by name
// avoids reading them and keeps the rule visible.
bool skipped_by_name(const fs::path& file) {
    const std::string name = file.filename().string();
    return name.empty() || name.front() == '.' || file.extension() == ".dat";
}

class Collector {
public:
    void add(const fs::path& file) {
        std::error_code ec;
        const uintmax_t bytes = fs::file_size(file, ec);
        m_total_bytes += ec ? 0 : bytes;  // an unreadable file is reported by read_bytes below
        if (m_total_bytes > kMaxCorpusBytes) {
            throw DataError(file.string() + ": the text files add up to more than " +
                            std::to_string(kMaxCorpusBytes >> 20) +
                            " MiB; point data.path at a smaller file or folder");
        }
        std::string text = read_bytes(file);
        if (text.find('\0') != std::string::npos) {
            ++m_skipped_binary;
            return;
        }
        m_files.push_back({file.string(), std::move(text)});
    }

    std::vector<TextFile> take_sorted() {
        std::sort(m_files.begin(), m_files.end(),
                  [](const TextFile& a, const TextFile& b) { return a.path < b.path; });
        return std::move(m_files);
    }

    int skipped_binary() const { return m_skipped_binary; }

private:
    std::vector<TextFile> m_files;
    uint64_t m_total_bytes = 0;
    int m_skipped_binary = 0;
};

std::vector<TextFile> walk_folder(const fs::path& folder, bool recursive) {
    Collector collector;
    std::error_code ec;
    auto consider = [&](const fs::directory_entry& entry) {
        // Symlinks are skipped because fortunes ships every file a second time as a .u8 link.
        if (entry.is_symlink(ec) || !entry.is_regular_file(ec)) return;
        if (skipped_by_name(entry.path())) return;
        collector.add(entry.path());
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
    std::vector<TextFile> files = collector.take_sorted();
    if (files.empty()) {
        throw DataError(
            folder.string() + ": no text files found" +
            (collector.skipped_binary() > 0
                 ? " (" + std::to_string(collector.skipped_binary()) + " binary files skipped)"
                 : std::string()) +
            "; point data.path at a plain-text file or a folder of them");
    }
    return files;
}

// A walk can fail halfway (a folder removed or made unreadable meanwhile); the user should see
// that as a data problem, not as an internal error.
std::vector<TextFile> collect_folder(const fs::path& folder, bool recursive) {
    try {
        return walk_folder(folder, recursive);
    } catch (const fs::filesystem_error& e) {
        throw DataError(std::string(e.what()) + "; check data.path and its permissions");
    }
}

std::vector<TextFile> collect(const std::string& path) {
    std::error_code ec;
    if (path.empty()) {
        if (!fs::is_directory(kDefaultFortunesDir, ec)) {
            throw DataError(std::string(kDefaultFortunesDir) +
                            ": fortunes corpus not found; install Debian's fortunes package "
                            "(sudo apt-get install fortunes) or set data.path to a text file "
                            "or folder");
        }
        return collect_folder(kDefaultFortunesDir, false);
    }
    if (fs::is_directory(path, ec)) return collect_folder(path, true);
    if (!fs::exists(path, ec)) {
        throw DataError(path + ": file not found; check data.path");
    }
    const uintmax_t bytes = fs::file_size(path, ec);
    if (!ec && bytes > kMaxCorpusBytes) {
        throw DataError(path + ": " + std::to_string(bytes >> 20) + " MiB is more than the " +
                        std::to_string(kMaxCorpusBytes >> 20) +
                        " MiB a corpus may have; use a smaller file");
    }
    std::string text = read_bytes(path);
    const size_t nul = text.find('\0');
    if (nul != std::string::npos) {
        throw DataError(path + ": looks binary (NUL byte at offset " + std::to_string(nul) +
                        "); point data.path at a plain-text file");
    }
    return {{path, std::move(text)}};
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
    for (TextFile& file : collect_folder(folder, recursive)) paths.push_back(std::move(file.path));
    return paths;
}

TextCorpus load_text(const std::string& path, double val_fraction) {
    if (!std::isfinite(val_fraction) || val_fraction < 0.0 || val_fraction >= 1.0) {
        throw DataError("validation fraction " + std::to_string(val_fraction) +
                        " is outside [0, 1); use e.g. 0.1");
    }
    std::string text;
    for (const TextFile& file : collect(path)) {
        text += file.text;
        // Keeps the last line of one file from running into the first line of the next.
        if (!text.empty() && text.back() != '\n') text.push_back('\n');
    }
    const std::string source = path.empty() ? std::string(kDefaultFortunesDir) : path;
    const auto length = static_cast<int64_t>(text.size());
    if (length < kMinCorpusChars) {
        throw DataError(source + ": only " + std::to_string(length) +
                        " characters of text; a char-level model needs at least " +
                        std::to_string(kMinCorpusChars) + ", point data.path at more text");
    }

    std::array<bool, 256> seen{};
    for (const char c : text) seen[static_cast<unsigned char>(c)] = true;
    TextCorpus corpus;
    std::array<int64_t, 256> id_of{};
    for (int b = 0; b < 256; ++b) {
        if (!seen[b]) continue;
        id_of[b] = static_cast<int64_t>(corpus.vocab.size());
        corpus.vocab.push_back(static_cast<char>(b));
    }

    torch::Tensor ids = torch::empty({length}, torch::kInt64);
    int64_t* out = ids.data_ptr<int64_t>();
    for (int64_t i = 0; i < length; ++i) out[i] = id_of[static_cast<unsigned char>(text[i])];

    const int64_t val_length =
        std::min(length - 1, static_cast<int64_t>(std::llround(length * val_fraction)));
    corpus.train_ids = ids.narrow(0, 0, length - val_length).clone();
    corpus.val_ids = ids.narrow(0, length - val_length, val_length).clone();
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
    const torch::Tensor windows = ids.index_select(0, index).view({batch, context + 1});
    return {windows.narrow(1, 0, context).contiguous(), windows.narrow(1, 1, context).contiguous()};
}

}  // namespace wb::engine::data
