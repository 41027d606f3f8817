// Connection: one SQLite connection configured the way every storage user needs it
// (WAL, busy timeout, migrated schema), with prepared statements cached for reuse.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace wb::storage {

class Connection;

/// A cached statement in use. Resets when it goes out of scope: a statement left mid-row keeps
/// a read transaction open, which pins the connection to an old snapshot and blocks checkpoints.
class Query {
public:
    Query(Connection& db, sqlite3_stmt* stmt) : m_db(&db), m_stmt(stmt) {}
    Query(Query&& other) noexcept;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query& operator=(Query&&) = delete;
    ~Query();

    /// Parameters count from 1, as in the SQL text (?1, ?2, ...).
    Query& bind_int(int index, int64_t value);
    Query& bind_real(int index, double value);
    Query& bind_text(int index, const std::string& value);
    Query& bind_blob(int index, const std::string& bytes);
    Query& bind_blob(int index, const void* bytes, std::size_t size);

    /// Steps once; true while a row is available. Resets itself after the last row.
    bool next();
    /// Runs a statement that returns no rows; the bindings stay for the next run.
    void run();

    int64_t int_at(int column) const;
    /// SQLite stores NaN as NULL; reading NULL back as NaN keeps a diverged loss visible.
    double real_at(int column) const;
    std::string text_at(int column) const;
    /// The column's bytes without a copy; valid until the next next() or the Query's end.
    /// Null with size 0 for NULL or an empty value.
    const void* blob_at(int column, std::size_t* size) const;

private:
    Connection* m_db = nullptr;
    sqlite3_stmt* m_stmt = nullptr;
};

enum class OpenMode : uint8_t {
    ReadWrite = 0,  ///< creates the file and its folders, switches to WAL, migrates
    /// Never writes: a missing file is refused instead of created, and nothing is migrated
    /// (see Connection::current()). For commands that only read the history.
    ReadOnly,
};

class Connection {
public:
    /// Opens, configures and (read-write) migrates; throws StorageError. A file that is not a
    /// SQLite database, or one of another program, is refused before SQLite writes to it.
    explicit Connection(std::string path, OpenMode mode = OpenMode::ReadWrite);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    const std::string& path() const { return m_path; }
    bool read_only() const { return m_read_only; }
    /// False for a read-only connection to a file an older build wrote: it needs migrating.
    bool current() const { return m_current; }
    sqlite3* handle() const { return m_db; }

    /// The statement for `sql`, prepared on first use and reused afterwards.
    Query query(const std::string& sql);
    /// Runs one or more statements that return no rows.
    void exec(const char* sql);
    int64_t last_insert_id() const;
    int changes() const;

    /// Throws a StorageError for the connection's last SQLite error.
    [[noreturn]] void fail(const std::string& doing) const;

private:
    void open(bool immutable);
    /// Header, version and foreign-file checks, then (read-write) WAL and migrations.
    void configure(bool existing);
    void close();

    std::string m_path;
    bool m_read_only = false;
    bool m_current = true;
    sqlite3* m_db = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> m_statements;
};

/// BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that later upgrades
/// from read to write fails with SQLITE_BUSY in WAL mode instead of waiting.
class Transaction {
public:
    struct NoWait {};

    explicit Transaction(Connection& db);
    /// Takes the write lock only if it is free now: when another connection holds it, active()
    /// is false and nothing was begun. For optional work that must not stall a reader.
    Transaction(Connection& db, NoWait);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    bool active() const { return m_open; }
    void commit();

private:
    Connection& m_db;
    bool m_open = true;
};

/// The user-facing text for a SQLite failure: file, what was being done, cause and fix.
std::string describe_failure(const std::string& path, int code, const std::string& cause,
                             const std::string& doing);

}  // namespace wb::storage
