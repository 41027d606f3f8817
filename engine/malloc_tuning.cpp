// glibc's mallopt() while only one malloc arena exists.
#include "engine/malloc_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wb::engine {

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
