// Opening data files so that a path to something endless (/dev/zero) or something that never
// answers (a FIFO without a writer) is refused with a message instead of hanging or filling
// memory: only regular files are read, and never past the size they had when opened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wb::engine::data {

/// "a folder", "a character device", "a FIFO (named pipe)", ... for a path that exists and is
/// not a regular file; empty for a regular file or a path that does not exist. Follows
/// symlinks and never opens the path, so it cannot block.
std::string non_regular_kind(const std::string& path);

/// Throws DataError "PATH: is a character device, not a regular file; FIX" unless `path` is a
/// regular file (or does not exist: the caller reports that in its own words).
void require_regular_file(const std::string& path, const std::string& fix);

/// A regular file open for reading. Opened without blocking and checked on the descriptor
/// itself, so a path swapped for a FIFO between a check and the open is still refused.
class RegularFile {
public:
    /// Throws DataError naming the path: missing, unreadable, or not a regular file (`fix` is
    /// appended to the last).
    RegularFile(const std::string& path, const std::string& fix);
    RegularFile(const RegularFile&) = delete;
    RegularFile& operator=(const RegularFile&) = delete;
    ~RegularFile();

    /// The size when it was opened: reads stop there even if the file grows meanwhile.
    uint64_t size() const { return m_size; }
    /// Reads exactly `bytes` (at most size()) into `dst`; throws DataError when the file was
    /// cut short meanwhile or a read fails.
    void read_all(void* dst, std::size_t bytes);

private:
    std::string m_path;
    int m_fd = -1;
    uint64_t m_size = 0;
};

}  // namespace wb::engine::data
