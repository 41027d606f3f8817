// Regular-file checks and bounded reads with POSIX stat/open/read.
#include "engine/data/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/data/data_error.h"

namespace wb::engine::data {
namespace {

std::string kind_of(mode_t mode) {
    if (S_ISREG(mode)) return {};
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

std::string refusal(const std::string& path, const std::string& kind, const std::string& fix) {
    return path + ": is " + kind + ", not a regular file, so it may never end or never answer; " +
           fix;
}

}  // namespace

std::string non_regular_kind(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return kind_of(st.st_mode);
}

void require_regular_file(const std::string& path, const std::string& fix) {
    if (const std::string kind = non_regular_kind(path); !kind.empty())
        throw DataError(refusal(path, kind, fix));
}

RegularFile::RegularFile(const std::string& path, const std::string& fix) : m_path(path) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    m_fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (m_fd < 0) {
        const int err = errno;
        throw DataError(path + (err == ENOENT ? ": file not found; check the path"
                                              : ": cannot be opened for reading (" +
                                                    std::string(std::strerror(err)) +
                                                    "); check its permissions"));
    }
    struct stat st {};
    if (::fstat(m_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const std::string kind = kind_of(st.st_mode);
        ::close(m_fd);
        m_fd = -1;
        throw DataError(refusal(path, kind.empty() ? "unreadable" : kind, fix));
    }
    m_size = static_cast<uint64_t>(st.st_size);
}

RegularFile::~RegularFile() {
    if (m_fd >= 0) ::close(m_fd);
}

void RegularFile::read_all(void* dst, std::size_t bytes) {
    char* p = static_cast<char*>(dst);
    std::size_t done = 0;
    while (done < bytes) {
        const ssize_t n = ::read(m_fd, p + done, bytes - done);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0)
            throw DataError(m_path + ": reading failed (" + std::strerror(errno) +
                            "); check the drive");
        if (n == 0)
            throw DataError(m_path + ": became shorter while it was read (" + std::to_string(done) +
                            " of " + std::to_string(bytes) +
                            " bytes); is another program writing it?");
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace wb::engine::data
