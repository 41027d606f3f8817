// Checkpoint folder checks with std::filesystem and POSIX open(), reported as plain causes.
#include "engine/service/run_files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "engine/api/paths.h"

namespace wb::service {
namespace fs = std::filesystem;

namespace {

// The nearest existing ancestor that is not a folder blocks create_directories with a bare
// "File exists" or "Not a directory"; naming it tells the user what to move.
std::string blocking_file(const fs::path& dir) {
    std::error_code ec;
    for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
        if (fs::exists(p, ec)) return fs::is_directory(p, ec) ? std::string() : p.string();
        if (p == p.parent_path()) break;
    }
    return {};
}

}  // namespace

std::string prepare_checkpoint_dir(const std::string& dir) {
    if (dir.empty()) return "no checkpoint folder was given";
    if (const std::string file = blocking_file(dir); !file.empty())
        return "a file is in the way: " + file;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return ec.message();
    // Permissions alone do not tell (ACLs, read-only mounts, root): only a write does.
    const std::string probe = (fs::path(dir) / ".write-test").string();
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return std::strerror(errno);
    const bool written = ::write(fd, "ok", 2) == 2;
    const int write_errno = errno;
    ::close(fd);
    ::unlink(probe.c_str());
    return written ? std::string() : std::strerror(write_errno);
}

DroppedAhead drop_checkpoints_ahead_of(const std::string& dir, int64_t history_step) {
    const auto files = api::list_checkpoint_files(dir);  // newest first
    const auto step_of = [](const std::string& path) {
        return api::checkpoint_step(fs::path(path).filename().string());
    };
    DroppedAhead d;
    std::size_t keep = 0;  // the first file that is kept
    while (keep < files.size() && step_of(files[keep]) > history_step) ++keep;
    if (keep == files.size() && !files.empty()) {
        --keep;  // all ahead: the oldest stays
        d.gap_from = history_step + 1;
        d.gap_to = step_of(files[keep]);
    }
    std::error_code ec;
    for (std::size_t i = 0; i < keep; ++i)
        if (fs::remove(files[i], ec)) d.removed.push_back(files[i]);
    return d;
}

void remove_checkpoint_files(const std::string& dir) {
    std::error_code ec;
    for (const auto& path : api::list_checkpoint_files(dir)) fs::remove(path, ec);
}

std::string remove_run_files(const std::string& dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return ec ? ec.message() : std::string();
}

}  // namespace wb::service
