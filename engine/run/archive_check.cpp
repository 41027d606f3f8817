// A minimal zip central-directory walk (plain and zip64), enough for LibTorch's stored records.
#include "engine/run/archive_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <vector>

namespace wb::engine::checkpoint {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kMarker32 = 0xffffffff;
constexpr std::size_t kChunkBytes = std::size_t{1} << 20;

uint64_t le(const unsigned char* p, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

class File {
public:
    explicit File(const std::string& path) : m_in(path, std::ios::binary) {
        if (m_in) {
            m_in.seekg(0, std::ios::end);
            m_size = static_cast<uint64_t>(m_in.tellg());
        }
    }
    bool ok() const { return static_cast<bool>(m_in); }
    uint64_t size() const { return m_size; }
    /// `bytes` at `offset`, or nullopt when they are not all in the file.
    std::optional<std::vector<unsigned char>> read(uint64_t offset, uint64_t bytes) {
        if (offset > m_size || bytes > m_size - offset) return std::nullopt;
        std::vector<unsigned char> out(bytes);
        m_in.clear();
        m_in.seekg(static_cast<std::streamoff>(offset));
        m_in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(bytes));
        if (!m_in) return std::nullopt;
        return out;
    }

private:
    std::ifstream m_in;
    uint64_t m_size = 0;
};

std::string hex32(uint64_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08llx", static_cast<unsigned long long>(v & 0xffffffffu));
    return buf;
}

struct Directory {
    uint64_t entries = 0, offset = 0, size = 0;
};

std::optional<Directory> find_directory(File& f, std::string* why) {
    const uint64_t tail = std::min<uint64_t>(f.size(), 22 + 65535);
    const auto end = f.read(f.size() - tail, tail);
    if (!end || tail < 22) return *why = "too short for a zip archive", std::nullopt;
    for (uint64_t i = tail - 22 + 1; i-- > 0;) {
        const unsigned char* p = end->data() + i;
        if (le(p, 4) != kEndOfDirectory) continue;
        Directory d{le(p + 10, 2), le(p + 16, 4), le(p + 12, 4)};
        const uint64_t at = f.size() - tail + i;
        if (d.offset != kMarker32 && d.entries != 0xffff) return d;
        const auto locator = at >= 20 ? f.read(at - 20, 20) : std::nullopt;
        if (!locator || le(locator->data(), 4) != kZip64Locator) break;
        const auto end64 = f.read(le(locator->data() + 8, 8), 56);
        if (!end64 || le(end64->data(), 4) != kZip64End) break;
        return Directory{le(end64->data() + 32, 8), le(end64->data() + 48, 8),
                         le(end64->data() + 40, 8)};
    }
    *why = "no zip directory at its end (truncated or not an archive)";
    return std::nullopt;
}

}  // namespace

std::string archive_crc_problem(const std::string& path) {
    File f(path);
    if (!f.ok()) return "cannot be opened for reading";
    std::string why;
    const auto dir = find_directory(f, &why);
    if (!dir) return why;
    const auto table = f.read(dir->offset, dir->size);
    if (!table) return "its zip directory lies outside the file (truncated)";
    std::vector<unsigned char> chunk;
    std::size_t pos = 0;
    for (uint64_t n = 0; n < dir->entries; ++n) {
        const unsigned char* e = table->data() + pos;
        if (pos + 46 > table->size() || le(e, 4) != kDirectoryEntry)
            return "its zip directory is damaged";
        const uint64_t method = le(e + 10, 2), crc = le(e + 16, 4), name_len = le(e + 28, 2),
                       extra_len = le(e + 30, 2), comment_len = le(e + 32, 2);
        uint64_t size = le(e + 20, 4), offset = le(e + 42, 4);
        if (pos + 46 + name_len + extra_len > table->size()) return "its zip directory is damaged";
        const std::string name(reinterpret_cast<const char*>(e + 46), name_len);
        // zip64: the 8-byte values of the fields marked 0xffffffff, in a fixed order.
        for (const unsigned char* x = e + 46 + name_len; x + 4 <= e + 46 + name_len + extra_len;
             x += 4 + le(x + 2, 2)) {
            if (le(x, 2) != 0x0001) continue;
            const unsigned char* v = x + 4;
            if (le(e + 24, 4) == kMarker32) v += 8;  // uncompressed size comes first
            if (size == kMarker32) size = le(v, 8), v += 8;
            if (offset == kMarker32) offset = le(v, 8);
        }
        pos += 46 + name_len + extra_len + comment_len;
        if (method != 0) continue;  // LibTorch stores every record; others are not ours to judge
        const auto local = f.read(offset, 30);
        if (!local || le(local->data(), 4) != kLocalHeader)
            return "record " + name + " is missing (truncated or overwritten archive)";
        uint64_t at = offset + 30 + le(local->data() + 26, 2) + le(local->data() + 28, 2);
        uLong sum = crc32(0L, Z_NULL, 0);
        for (uint64_t left = size; left > 0;) {
            const uint64_t take = std::min<uint64_t>(left, kChunkBytes);
            auto bytes = f.read(at, take);
            if (!bytes) return "record " + name + " runs past the end of the file (truncated)";
            sum = crc32(sum, bytes->data(), static_cast<uInt>(take));
            at += take;
            left -= take;
        }
        if (sum != crc)
            return "record " + name + " fails its CRC-32 check (stored " + hex32(crc) + ", read " +
                   hex32(sum) + ")";
    }
    return {};
}

}  // namespace wb::engine::checkpoint
