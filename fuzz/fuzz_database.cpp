// A database file of unknown origin, opened as the reading commands open it (`runs`, `show`,
// `metrics`): a foreign, damaged or hostile file gives a StorageError, never a crash or a write.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>

#include "fuzz_input_file.h"
#include "storage/run_store.h"
#include "storage/storage_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::string path = wb::fuzz::input_file(data, size, ".sqlite");
    try {
        wb::storage::RunStore store(path, wb::storage::RunStore::ReadOnly{});
        for (const auto& run : store.list_runs()) {
            (void)store.last_metrics(run.id);
            for (const auto& name : store.metric_names(run.id)) (void)store.metrics(run.id, name);
            (void)store.logs(run.id);
            (void)store.latest_checkpoint(run.id);
        }
    } catch (const wb::storage::StorageError&) {
    }
    std::remove(path.c_str());
    return 0;
}
