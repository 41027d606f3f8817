#include "engine/data/idx.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include <torch/torch.h>
#include <zlib.h>

#include "engine/data/data_error.h"
#include "engine/data/regular_file.h"

namespace wb::engine::data {
namespace {

namespace fs = std::filesystem;

constexpr unsigned kTypeUnsignedByte = 0x08;
constexpr int kMaxDims = 4;
constexpr size_t kChunkBytes = size_t{1} << 20;
// Growing the buffer as data arrives (instead of reserving what the header promises) is what
// keeps a lying header from allocating memory the file cannot fill.
constexpr size_t kInitialReserveBytes = size_t{64} << 20;
constexpr int64_t kNumClasses = 10;

const char* const kRefetchHint = "re-download or reinstall the file";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw DataError(path + ": " + what);
}

struct GzCloser {
    void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads through zlib for both kinds, since gzread passes plain files through unchanged; the
// magic bytes only decide how a short read is described and whether the size can be checked
// up front.
class IdxStream {
public:
    explicit IdxStream(const std::string& path) : m_path(path) {
        std::error_code ec;
        if (!fs::exists(path, ec)) fail(path, "file not found; check the path");
        if (fs::is_directory(path, ec)) fail(path, "is a folder, expected an IDX file");
        // A device never ends and a FIFO may never answer: opening one would hang or read on.
        require_regular_file(path, "give the path of an IDX file (plain or .gz)");
        std::array<unsigned char, 2> head{};
        std::ifstream probe(path, std::ios::binary);
        if (!probe) fail(path, "cannot be opened for reading; check its permissions");
        probe.read(reinterpret_cast<char*>(head.data()), head.size());
        m_gzip = probe.gcount() == 2 && head[0] == 0x1f && head[1] == 0x8b;
        if (!m_gzip) m_plain_size = static_cast<uint64_t>(fs::file_size(path, ec));
        m_file.reset(gzopen(path.c_str(), "rb"));
        if (!m_file) fail(path, "cannot be opened for reading; check its permissions");
        gzbuffer(m_file.get(), static_cast<unsigned>(kChunkBytes));
    }

    bool gzip() const { return m_gzip; }
    /// Size on disk of an uncompressed file; gzip files only reveal their size by reading.
    uint64_t plain_size() const { return m_plain_size; }

    /// Reads up to `bytes`; returns how many arrived (fewer only at end of data).
    size_t read(unsigned char* dst, size_t bytes) {
        size_t done = 0;
        while (done < bytes) {
            const auto want = static_cast<unsigned>(std::min(bytes - done, kChunkBytes));
            const int got = gzread(m_file.get(), dst + done, want);
            if (got < 0) {
                int code = Z_OK;
                const char* msg = gzerror(m_file.get(), &code);
                if (code == Z_BUF_ERROR) return done;  // compressed stream cut short
                fail(m_path, std::string("corrupt gzip data (") + msg + "); " + kRefetchHint);
            }
            if (got == 0) break;
            done += static_cast<size_t>(got);
        }
        return done;
    }

private:
    std::string m_path;
    GzHandle m_file;
    bool m_gzip = false;
    uint64_t m_plain_size = 0;
};

std::string type_name(unsigned type) {
    switch (type) {
        case 0x09:
            return "signed byte";
        case 0x0B:
            return "int16";
        case 0x0C:
            return "int32";
        case 0x0D:
            return "float32";
        case 0x0E:
            return "float64";
        default:
            return "unknown";
    }
}

std::string hex_byte(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02x", v & 0xffU);
    return buf;
}

std::string dims_text(const std::vector<int64_t>& dims) {
    std::string out;
    for (size_t i = 0; i < dims.size(); ++i) out += (i ? "x" : "") + std::to_string(dims[i]);
    return out;
}

// Names the payload the way the user thinks of it, for the truncation messages.
std::string payload_name(size_t ndim) {
    if (ndim == 1) return "labels";
    if (ndim == 3) return "images";
    return "data";
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
    IdxStream in(path);

    std::array<unsigned char, 4> magic{};
    const size_t magic_got = in.read(magic.data(), magic.size());
    if (magic_got < magic.size()) {
        fail(path, "truncated: an IDX header needs at least 4 bytes, file has " +
                       std::to_string(magic_got) + "; " + kRefetchHint);
    }
    if (magic[0] != 0 || magic[1] != 0) {
        fail(path, "not an IDX file (starts with bytes " + hex_byte(magic[0]) + " " +
                       hex_byte(magic[1]) + " " + hex_byte(magic[2]) + " " + hex_byte(magic[3]) +
                       ", expected 00 00 08 <dims>); point data.path at MNIST-format files");
    }
    if (magic[2] != kTypeUnsignedByte) {
        fail(path, "IDX element type 0x" + hex_byte(magic[2]) + " (" + type_name(magic[2]) +
                       ") is not supported, only unsigned bytes (0x08) as in MNIST");
    }
    const size_t ndim = magic[3];
    if (ndim < 1 || ndim > kMaxDims) {
        fail(path, "IDX header declares " + std::to_string(ndim) +
                       " dimensions, expected 1 to 4; the file is corrupt, " + kRefetchHint);
    }

    std::array<unsigned char, 4 * kMaxDims> raw_dims{};
    const size_t dims_got = in.read(raw_dims.data(), 4 * ndim);
    if (dims_got < 4 * ndim) {
        fail(path, "truncated: header declares " + std::to_string(ndim) +
                       " dimensions but ends after " + std::to_string(4 + dims_got) + " bytes; " +
                       kRefetchHint);
    }
    std::vector<int64_t> dims(ndim);
    uint64_t expected = 1;
    for (size_t d = 0; d < ndim; ++d) {
        const unsigned char* p = raw_dims.data() + 4 * d;
        const uint64_t dim = (uint64_t{p[0]} << 24) | (uint64_t{p[1]} << 16) |
                             (uint64_t{p[2]} << 8) | uint64_t{p[3]};
        if (dim == 0) {
            fail(path,
                 "IDX header has dimension " + std::to_string(d) + " of size 0; " + kRefetchHint);
        }
        dims[d] = static_cast<int64_t>(dim);
        // Each factor is < 2^32 and the running product stays <= 2^31, so this cannot overflow.
        expected *= dim;
        if (expected > kMaxIdxPayloadBytes) {
            fail(path, "IDX header promises more than " + std::to_string(kMaxIdxPayloadBytes) +
                           " bytes (dims " + dims_text(dims) +
                           "...), which is no real data set; the header is corrupt, " +
                           kRefetchHint);
        }
    }

    const uint64_t header_bytes = 4 + 4 * ndim;
    const std::string promise = "header promises " + std::to_string(expected) + " bytes of " +
                                payload_name(ndim) + " (" + dims_text(dims) + ")";
    if (!in.gzip()) {
        const uint64_t have = in.plain_size() >= header_bytes ? in.plain_size() - header_bytes : 0;
        if (have < expected) {
            fail(path, "truncated: " + promise + ", file has " + std::to_string(have) + "; " +
                           kRefetchHint);
        }
        if (have > expected) {
            fail(path, promise + ", but " + std::to_string(have - expected) +
                           " more bytes follow; the file is corrupt or not an IDX file, " +
                           kRefetchHint);
        }
    }

    auto buffer = std::make_unique<std::vector<unsigned char>>();
    buffer->reserve(static_cast<size_t>(std::min<uint64_t>(expected, kInitialReserveBytes)));
    while (buffer->size() < expected) {
        const size_t have = buffer->size();
        const size_t want = static_cast<size_t>(std::min<uint64_t>(expected - have, kChunkBytes));
        buffer->resize(have + want);
        const size_t got = in.read(buffer->data() + have, want);
        buffer->resize(have + got);
        if (got < want) break;
    }
    if (buffer->size() < expected) {
        fail(path, "truncated: " + promise + ", file has " + std::to_string(buffer->size()) +
                       (in.gzip() ? " after decompression" : "") + "; " + kRefetchHint);
    }
    // Reading past the payload also makes zlib verify the gzip checksum.
    std::vector<unsigned char> extra(kChunkBytes);
    const size_t extra_got = in.read(extra.data(), extra.size());
    if (extra_got > 0) {
        fail(path, promise + ", but " + (extra_got == extra.size() ? "at least " : "") +
                       std::to_string(extra_got) +
                       " more bytes follow; the file is corrupt or not an IDX file, " +
                       kRefetchHint);
    }

    // The tensor adopts the buffer so the payload is never held twice.
    auto* owned = buffer.release();
    return torch::from_blob(
        owned->data(), dims, [owned](void*) { delete owned; }, torch::kUInt8);
}

ImageSet load_idx_pair(const std::string& images_path, const std::string& labels_path) {
    const torch::Tensor images = read_idx(images_path);
    const torch::Tensor labels = read_idx(labels_path);

    if (images.dim() != 3) {
        fail(images_path, "expected images with 3 dimensions (count x height x width), found " +
                              std::to_string(images.dim()) +
                              "; is this a labels file? Check which file is which");
    }
    if (labels.dim() != 1) {
        fail(labels_path, "expected labels with 1 dimension, found " +
                              std::to_string(labels.dim()) +
                              "; is this an images file? Check which file is which");
    }
    const int64_t count = images.size(0);
    if (labels.size(0) != count) {
        fail(labels_path, "has " + std::to_string(labels.size(0)) + " labels but " + images_path +
                              " has " + std::to_string(count) +
                              " images; use the labels file that belongs to those images");
    }
    const int64_t height = images.size(1);
    const int64_t width = images.size(2);
    if (height > kImageSide || width > kImageSide) {
        fail(images_path, "images are " + std::to_string(height) + "x" + std::to_string(width) +
                              ", the models take at most " + std::to_string(kImageSide) + "x" +
                              std::to_string(kImageSide) + "; resize the data set");
    }

    const torch::Tensor bad = (labels >= kNumClasses).nonzero();
    if (bad.size(0) > 0) {
        const int64_t index = bad[0][0].item<int64_t>();
        fail(labels_path, "label " + std::to_string(labels[index].item<int>()) + " at index " +
                              std::to_string(index) + " is outside 0..9 (" +
                              std::to_string(bad.size(0)) +
                              " bad labels in all); the file is corrupt, " + kRefetchHint);
    }

    const int64_t top = (kImageSide - height) / 2;
    const int64_t left = (kImageSide - width) / 2;
    torch::Tensor scaled = images.to(torch::kFloat32).div_(127.5).sub_(1.0).unsqueeze(1);
    ImageSet set;
    set.images = torch::constant_pad_nd(
        scaled, {left, kImageSide - width - left, top, kImageSide - height - top}, -1.0);
    set.labels = labels.to(torch::kInt64);
    return set;
}

namespace {

// Accepts both the name Debian ships (.gz) and the unpacked one, since users often gunzip.
std::string find_member(const fs::path& folder, const std::string& stem) {
    std::error_code ec;
    for (const std::string& name : {stem, stem + ".gz"}) {
        const fs::path candidate = folder / name;
        if (fs::is_regular_file(candidate, ec)) return candidate.string();
    }
    throw DataError(folder.string() + ": missing " + stem + " (or " + stem +
                    ".gz); a Fashion-MNIST folder needs train-images-idx3-ubyte, "
                    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, "
                    "each plain or gzipped");
}

}  // namespace

ImageData load_fashion_mnist(const std::string& path) {
    const bool use_default = path.empty();
    const fs::path folder = use_default ? fs::path(kDefaultFashionMnistDir) : fs::path(path);
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
        if (use_default) {
            throw DataError(folder.string() +
                            ": Fashion-MNIST not found; install Debian's dataset-fashion-mnist "
                            "package (sudo apt-get install dataset-fashion-mnist) or set "
                            "data.path to a folder with the IDX files");
        }
        throw DataError(folder.string() +
                        (fs::exists(folder, ec) ? ": is not a folder" : ": folder not found") +
                        "; set data.path to the folder holding the Fashion-MNIST IDX files");
    }
    // All four are located before any is read, so a missing file is reported without first
    // spending seconds decompressing the others.
    const std::string train_images = find_member(folder, "train-images-idx3-ubyte");
    const std::string train_labels = find_member(folder, "train-labels-idx1-ubyte");
    const std::string test_images = find_member(folder, "t10k-images-idx3-ubyte");
    const std::string test_labels = find_member(folder, "t10k-labels-idx1-ubyte");
    ImageData data;
    data.train = load_idx_pair(train_images, train_labels);
    data.test = load_idx_pair(test_images, test_labels);
    data.source = folder.string();
    return data;
}

}  // namespace wb::engine::data
