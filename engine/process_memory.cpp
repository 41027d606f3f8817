// Reads /proc/self/statm and /proc/self/status on the CPU (at most every 20 ms per thread); asks
// the CUDA allocator on a GPU.
#include "engine/process_memory.h"

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "engine/compat.h"

namespace wb::engine {

namespace {

// Reading /proc costs ~30 us of CPU (the kernel formats the whole status file), 1-2% of a small
// model's step; memory moves slowly, so each thread re-reads it at most this often.
constexpr auto kProcRefresh = std::chrono::milliseconds(20);

MemoryUse read_proc() {
    MemoryUse use;
    const long page = ::sysconf(_SC_PAGESIZE);
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        long size = 0, resident = 0;
        if (std::fscanf(f, "%ld %ld", &size, &resident) == 2) use.allocated_bytes = resident * page;
        std::fclose(f);
    }
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        while (std::fgets(line, sizeof line, f)) {
            long kb = 0;
            if (std::strncmp(line, "VmHWM:", 6) == 0 && std::sscanf(line + 6, "%ld", &kb) == 1) {
                use.peak_bytes = kb * 1024;
                break;
            }
        }
        std::fclose(f);
    }
    return use;
}

}  // namespace

MemoryUse memory_use(const torch::Device& device) {
    if (device.is_cuda()) {
        const auto m = compat::cuda_memory(device.has_index() ? device.index() : 0);
        return {m.allocated_bytes, m.peak_bytes};
    }
    using Clock = std::chrono::steady_clock;
    thread_local Clock::time_point read_at;
    thread_local MemoryUse last;
    thread_local bool read_once = false;
    const auto now = Clock::now();
    if (!read_once || now - read_at >= kProcRefresh) {
        last = read_proc();
        read_at = now;
        read_once = true;
    }
    return last;
}

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
    static std::once_flag once;
    std::call_once(once, [] {
        // Fixed values also switch off glibc's dynamic threshold, which only rises after the
        // first large block has been unmapped and trims the heap at twice that. 32 MiB is the
        // largest mmap threshold glibc accepts on 64-bit (half its arena heap size).
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
    });
#endif
}

}  // namespace wb::engine
