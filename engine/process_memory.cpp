// Reads /proc/self/statm and /proc/self/status on the CPU (at most every 20 ms per thread); asks
// the CUDA allocator on a GPU.
#include "engine/process_memory.h"

#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
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

namespace {

#if defined(__GLIBC__)
// How many malloc arenas exist (one <heap nr=...> per arena in malloc_info's XML).
int malloc_arenas() {
    char* text = nullptr;
    size_t size = 0;
    FILE* f = open_memstream(&text, &size);
    if (!f) return -1;
    const bool ok = malloc_info(0, f) == 0;
    std::fclose(f);
    int n = 0;
    for (const char* p = text; ok && (p = std::strstr(p, "<heap nr=")) != nullptr; ++p) ++n;
    std::free(text);
    return ok ? n : -1;
}
#endif

}  // namespace

bool keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
    static const bool applied = [] {
        // The limit on arenas only counts before a second thread has made its own arena; after
        // that the training thread would allocate from an arena of its own, whose heaps glibc
        // unmaps when they empty (a GPT step then faults more, not less): change nothing.
        if (malloc_arenas() != 1) return false;
        // One arena: every thread allocates from the main heap, which keeps what is freed up to
        // the trim threshold. Fixed values also switch off glibc's dynamic thresholds. 32 MiB is
        // the largest mmap threshold glibc accepts on 64-bit.
        return mallopt(M_ARENA_MAX, 1) == 1 && mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 &&
               mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
    }();
    return applied;
#else
    return false;
#endif
}

}  // namespace wb::engine
