// The packed metric-series blob (metric_series.h) with the row's count and max_step from the
// first 24 bytes: a damaged blob is rejected (nullopt), never read past its end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "storage/metric_series.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size < 24) return 0;
    int64_t header[3];
    std::memcpy(header, data, sizeof header);
    const uint8_t* blob = data + 24;
    const std::size_t blob_size = size - 24;
    const auto points = wb::storage::unpack_points(blob_size > 0 ? blob : nullptr, blob_size,
                                                   header[0], header[1], header[2]);
    if (points) {
        for (std::size_t i = 0; i < points->size(); ++i) {
            if ((*points)[i].step <= header[2]) std::abort();
            if (i > 0 && (*points)[i].step <= (*points)[i - 1].step) std::abort();
        }
    }
    return 0;
}
