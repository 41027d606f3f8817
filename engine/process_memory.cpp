// Reads /proc/self/statm and /proc/self/status on the CPU (at most every 20 ms per thread); asks
// the CUDA allocator on a GPU.
#include "engine/process_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

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

int64_t heap_bytes_in_use(const torch::Device& device) {
    if (device.is_cuda())
        return compat::cuda_memory(device.has_index() ? device.index() : 0).allocated_bytes;
    const struct mallinfo2 m = ::mallinfo2();
    return static_cast<int64_t>(m.uordblks + m.hblkhd);
}

}  // namespace wb::engine
