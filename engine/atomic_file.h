// Files written whole or not at all: the bytes go to a temporary file next to the target, which
// is synced and renamed over it only once every write succeeded. No LibTorch, so the CLI's
// exports use it too.
#pragma once

#include <cstddef>
#include <string>

namespace wb::engine {

/// One file being written. Until commit() the target keeps its old content (or stays absent);
/// an AtomicFile that ends uncommitted removes its temporary file. Every error throws
/// std::runtime_error naming the target, the cause and the fix.
class AtomicFile {
public:
    /// Refuses a target that exists and is not a regular file (a device, FIFO or folder, which
    /// a rename would replace), then creates `path`.tmp.
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    const std::string& path() const { return m_path; }
    void write(const void* data, std::size_t bytes);
    void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }
    /// Syncs and closes the temporary file, renames it over the target, syncs the folder.
    void commit();

private:
    [[noreturn]] void fail(const std::string& doing, int error);

    std::string m_path;
    std::string m_tmp;
    int m_fd = -1;
};

/// Writes `bytes` to `path` through an AtomicFile, so `path` is either its old content or all of
/// the new. Throws std::runtime_error naming the path and the cause.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace wb::engine
