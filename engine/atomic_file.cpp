// AtomicFile: temporary file, checked writes, fsync, rename, folder fsync (POSIX).
#include "engine/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace wb::engine {

namespace {

std::string fix_for(int error) {
    switch (error) {
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return "free some space (or raise the file size limit) or write to another folder";
        case EACCES:
        case EPERM:
        case EROFS:
            return "write to a folder you may write to";
        case ENOENT:
        case ENOTDIR:
            return "check that the folder exists";
        case EIO:
            return "the disk reported an I/O error; check the drive";
        default:
            return "check the folder and free space";
    }
}

void sync_dir(const std::string& file) {
    const auto parent = std::filesystem::path(file).parent_path();
    const std::string dir = parent.empty() ? "." : parent.string();
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path)), m_tmp(m_path + ".tmp") {
    struct stat st {};
    if (::stat(m_path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
        throw std::runtime_error("cannot write " + m_path + ": it is " +
                                 (S_ISDIR(st.st_mode) ? "a folder" : "a device, FIFO or socket") +
                                 ", not a regular file; give the path of a file");
    m_fd = ::open(m_tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (m_fd < 0) fail("creating " + m_tmp, errno);
}

AtomicFile::~AtomicFile() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_tmp.empty()) ::unlink(m_tmp.c_str());
}

void AtomicFile::write(const void* data, std::size_t bytes) {
    if (m_fd < 0) throw std::logic_error("AtomicFile::write after commit: " + m_path);
    const char* p = static_cast<const char*>(data);
    std::size_t done = 0;
    while (done < bytes) {
        const ssize_t n = ::write(m_fd, p + done, bytes - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("while writing", n < 0 ? errno : ENOSPC);
        done += static_cast<std::size_t>(n);
    }
}

void AtomicFile::commit() {
    if (m_fd < 0) throw std::logic_error("AtomicFile::commit twice: " + m_path);
    if (::fsync(m_fd) != 0) fail("while syncing", errno);
    const int fd = m_fd;
    m_fd = -1;
    // close() reports write errors that a network or quota-checked file system defers.
    if (::close(fd) != 0) fail("while closing", errno);
    if (::rename(m_tmp.c_str(), m_path.c_str()) != 0) fail("renaming " + m_tmp + " to it", errno);
    m_tmp.clear();
    sync_dir(m_path);
}

void AtomicFile::fail(const std::string& doing, int error) {
    throw std::runtime_error("cannot write " + m_path + ": " + std::strerror(error) + " (" + doing +
                             "); " + fix_for(error) +
                             ". A file that was there before is unchanged.");
}

void write_file_atomic(const std::string& path, const std::string& bytes) {
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

}  // namespace wb::engine
