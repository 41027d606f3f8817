// Checkpoint files: named by step, written through AtomicFile, the newest few kept.
#include "engine/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "engine/api/paths.h"

namespace wb::engine {
namespace fs = std::filesystem;

std::string write_checkpoint(const std::string& dir, int64_t step,
                             const std::function<void(torch::serialize::OutputArchive&)>& fill,
                             int keep) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        throw std::runtime_error("cannot create checkpoint folder " + dir + ": " + ec.message());
    torch::serialize::OutputArchive archive;
    fill(archive);
    std::string bytes;
    archive.save_to([&bytes](const void* data, size_t n) {
        bytes.append(static_cast<const char*>(data), n);
        return n;
    });
    const std::string path = (fs::path(dir) / api::checkpoint_file_name(step)).string();
    try {
        write_file_atomic(path, bytes);
    } catch (const std::exception&) {
        // The folder went between its creation above and the write (deleted by hand while the
        // run trains): make it once more; any other cause fails again with its own message.
        if (fs::exists(dir)) throw;
        fs::create_directories(dir, ec);
        write_file_atomic(path, bytes);
    }
    const auto all = list_checkpoints(dir);  // newest first
    const auto now = fs::file_time_type::clock::now();
    const auto settled = [&](const std::string& file) {
        std::error_code age_ec;
        const auto written = fs::last_write_time(file, age_ec);
        return !age_ec && now - written >= kSettledAge;
    };
    const std::size_t kept = std::min(all.size(), static_cast<std::size_t>(std::max(keep, 1)));
    // The one older checkpoint that stays: the newest settled one, or while none is settled the
    // oldest (the one a resume started from, or the run's first), which the rows cover.
    std::size_t extra = all.size();
    if (std::none_of(all.begin(), all.begin() + kept, settled) && kept < all.size()) {
        extra = all.size() - 1;
        for (std::size_t i = kept; i < all.size(); ++i)
            if (settled(all[i])) {
                extra = i;
                break;
            }
    }
    for (std::size_t i = kept; i < all.size(); ++i)
        if (i != extra) fs::remove(all[i], ec);
    return path;
}

int remove_checkpoints(const std::string& dir) {
    std::vector<fs::path> doomed;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        const std::string name = p.filename().string();
        const bool torn = p.extension() == ".tmp" && api::checkpoint_step(p.stem().string()) >= 0;
        if (it->is_regular_file() && (api::checkpoint_step(name) >= 0 || torn)) doomed.push_back(p);
    }
    for (const fs::path& p : doomed)
        if (!fs::remove(p, ec) && ec)
            throw std::runtime_error("cannot remove the old checkpoint " + p.string() + ": " +
                                     ec.message());
    return static_cast<int>(doomed.size());
}

std::vector<std::string> list_checkpoints(const std::string& dir) {
    return api::list_checkpoint_files(dir);
}

}  // namespace wb::engine
