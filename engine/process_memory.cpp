// Reads /proc/self/statm and /proc/self/status on the CPU; asks the CUDA allocator on a GPU.
#include "engine/process_memory.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "engine/compat.h"

namespace wb::engine {

MemoryUse memory_use(const torch::Device& device) {
    if (device.is_cuda()) {
        const auto m = compat::cuda_memory(device.has_index() ? device.index() : 0);
        return {m.allocated_bytes, m.peak_bytes};
    }
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

}  // namespace wb::engine
