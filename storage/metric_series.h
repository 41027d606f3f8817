// Packed metric series: a copy of a finished run's points as one blob per series, which the
// compare view reads ~10x faster than one SQLite row per point. The rows stay the source of truth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/run_rows.h"

namespace wb::storage {

class Connection;

/// Blob layout (table metric_series): `count` points ordered by step, each 24 bytes
/// little-endian: int64 step, IEEE-754 double wall_s, double value (NaN as the rows return it).
/// max_step is the last point's step. Every write of metric rows for a run deletes the run's
/// packed series in the same transaction, and a series is packed from the rows inside one write
/// transaction, so a packed series that exists always equals the rows.
constexpr std::size_t kPackedPointBytes = 24;

std::string pack_points(const std::vector<MetricPoint>& points);

/// The points with step > after_step; nullopt when `bytes` is not a well-formed packing of
/// `count` points ending at `max_step` (wrong size, steps not increasing): read the rows then.
std::optional<std::vector<MetricPoint>> unpack_points(const void* bytes, std::size_t size,
                                                      int64_t count, int64_t max_step,
                                                      int64_t after_step);

/// The id of a metric name; nullopt when no run ever recorded it.
std::optional<int64_t> metric_name_id(Connection& db, const std::string& name);

/// Points of one series with step > after_step from the rows, ordered by step.
std::vector<MetricPoint> read_series_rows(Connection& db, int64_t run_id, int64_t name_id,
                                          int64_t after_step);

/// The packed copy's points with step > after_step; nullopt when there is none or it is damaged.
std::optional<std::vector<MetricPoint>> read_packed_series(Connection& db, int64_t run_id,
                                                           int64_t name_id, int64_t after_step);

/// Replaces the packed copy of one series (call inside the transaction that read `points`).
void write_packed_series(Connection& db, int64_t run_id, int64_t name_id,
                         const std::vector<MetricPoint>& points);

/// Deletes every packed series of the run (call inside the transaction that changes its rows).
void drop_packed_series(Connection& db, int64_t run_id);

/// Completed, stopped, failed or interrupted: no more points expected, worth packing.
bool run_is_finished(Connection& db, int64_t run_id);

/// Packs each series of a finished run that has no packed copy yet, one write transaction per
/// series so a long run never holds the write lock for long. Throws StorageError.
void pack_run_series(Connection& db, int64_t run_id);

}  // namespace wb::storage
