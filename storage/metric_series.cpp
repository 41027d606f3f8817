// Packed metric series: the blob format, and reading, writing and dropping the packed copies.
#include "storage/metric_series.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/api/run_event.h"
#include "storage/connection.h"

namespace wb::storage {

namespace {

constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
// When MetricPoint's memory layout is the blob's, a series is one memcpy each way.
constexpr bool kSameLayout =
    kLittleEndian && sizeof(MetricPoint) == kPackedPointBytes && offsetof(MetricPoint, step) == 0 &&
    offsetof(MetricPoint, wall_s) == 8 && offsetof(MetricPoint, value) == 16;
static_assert(std::is_trivially_copyable_v<MetricPoint>);
static_assert(sizeof(double) == 8 && sizeof(int64_t) == 8);

template <typename T>
void store_le(char* out, T v) {
    unsigned char b[8];
    std::memcpy(b, &v, 8);
    if constexpr (!kLittleEndian) std::reverse(b, b + 8);
    std::memcpy(out, b, 8);
}

template <typename T>
T load_le(const char* in) {
    unsigned char b[8];
    std::memcpy(b, in, 8);
    if constexpr (!kLittleEndian) std::reverse(b, b + 8);
    T v;
    std::memcpy(&v, b, 8);
    return v;
}

}  // namespace

std::string pack_points(const std::vector<MetricPoint>& points) {
    std::string bytes(points.size() * kPackedPointBytes, '\0');
    if constexpr (kSameLayout) {
        if (!points.empty()) std::memcpy(bytes.data(), points.data(), bytes.size());
    } else {
        char* out = bytes.data();
        for (const MetricPoint& p : points) {
            store_le(out, p.step);
            store_le(out + 8, p.wall_s);
            store_le(out + 16, p.value);
            out += kPackedPointBytes;
        }
    }
    return bytes;
}

std::optional<std::vector<MetricPoint>> unpack_points(const void* bytes, std::size_t size,
                                                      int64_t count, int64_t max_step,
                                                      int64_t after_step) {
    if (bytes == nullptr || count <= 0 || static_cast<uint64_t>(count) > size / kPackedPointBytes ||
        size != static_cast<std::size_t>(count) * kPackedPointBytes)
        return std::nullopt;
    std::vector<MetricPoint> points(static_cast<std::size_t>(count));
    if constexpr (kSameLayout) {
        std::memcpy(points.data(), bytes, size);
    } else {
        const char* in = static_cast<const char*>(bytes);
        for (MetricPoint& p : points) {
            p.step = load_le<int64_t>(in);
            p.wall_s = load_le<double>(in + 8);
            p.value = load_le<double>(in + 16);
            in += kPackedPointBytes;
        }
    }
    // Damage that keeps the size (a bad sector, a hand edit) shows up in the steps.
    for (std::size_t i = 1; i < points.size(); ++i)
        if (points[i].step <= points[i - 1].step) return std::nullopt;
    if (points.back().step != max_step) return std::nullopt;
    const auto first =
        std::upper_bound(points.begin(), points.end(), after_step,
                         [](int64_t step, const MetricPoint& p) { return step < p.step; });
    if (first != points.begin()) points.erase(points.begin(), first);
    return points;
}

std::optional<int64_t> metric_name_id(Connection& db, const std::string& name) {
    auto q = db.query("SELECT id FROM metric_names WHERE name = ?1");
    q.bind_text(1, name);
    if (!q.next()) return std::nullopt;
    return q.int_at(0);
}

std::vector<MetricPoint> read_series_rows(Connection& db, int64_t run_id, int64_t name_id,
                                          int64_t after_step) {
    auto q = db.query(
        "SELECT step, wall_s, value FROM metrics WHERE run_id = ?1 AND name_id = ?2 AND step > ?3 "
        "ORDER BY step");
    q.bind_int(1, run_id).bind_int(2, name_id).bind_int(3, after_step);
    std::vector<MetricPoint> points;
    while (q.next()) points.push_back(MetricPoint{q.int_at(0), q.real_at(1), q.real_at(2)});
    return points;
}

std::optional<std::vector<MetricPoint>> read_packed_series(Connection& db, int64_t run_id,
                                                           int64_t name_id, int64_t after_step) {
    auto q = db.query(
        "SELECT count, max_step, data FROM metric_series WHERE run_id = ?1 AND name_id = ?2");
    q.bind_int(1, run_id).bind_int(2, name_id);
    if (!q.next()) return std::nullopt;
    std::size_t size = 0;
    const void* data = q.blob_at(2, &size);
    return unpack_points(data, size, q.int_at(0), q.int_at(1), after_step);
}

void write_packed_series(Connection& db, int64_t run_id, int64_t name_id,
                         const std::vector<MetricPoint>& points) {
    if (points.empty()) return;
    const std::string bytes = pack_points(points);
    auto q = db.query(
        "INSERT OR REPLACE INTO metric_series (run_id, name_id, count, max_step, data) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    q.bind_int(1, run_id)
        .bind_int(2, name_id)
        .bind_int(3, static_cast<int64_t>(points.size()))
        .bind_int(4, points.back().step)
        .bind_blob(5, bytes.data(), bytes.size());
    q.run();
}

void drop_packed_series(Connection& db, int64_t run_id) {
    auto q = db.query("DELETE FROM metric_series WHERE run_id = ?1");
    q.bind_int(1, run_id);
    q.run();
}

bool run_is_finished(Connection& db, int64_t run_id) {
    auto q = db.query("SELECT status FROM runs WHERE id = ?1");
    q.bind_int(1, run_id);
    return q.next() && api::is_final(api::status_from_string(q.text_at(0)));
}

void pack_run_series(Connection& db, int64_t run_id) {
    std::vector<int64_t> name_ids;
    {
        auto q = db.query(
            "SELECT id FROM metric_names n WHERE EXISTS "
            "(SELECT 1 FROM metrics WHERE run_id = ?1 AND name_id = n.id) AND NOT EXISTS "
            "(SELECT 1 FROM metric_series WHERE run_id = ?1 AND name_id = n.id)");
        q.bind_int(1, run_id);
        while (q.next()) name_ids.push_back(q.int_at(0));
    }
    for (int64_t name_id : name_ids) {
        Transaction tx(db);
        // A resume may have started since: its rows would drop the copy again at once.
        if (!run_is_finished(db, run_id)) return;
        write_packed_series(
            db, run_id, name_id,
            read_series_rows(db, run_id, name_id, std::numeric_limits<int64_t>::min()));
        tx.commit();
    }
}

}  // namespace wb::storage
