// Opening, configuring and querying a SQLite connection; every failure becomes a StorageError.
#include "storage/connection.h"

#include <array>
#include <filesystem>
#include <limits>
#include <system_error>

#include <sqlite3.h>

#include "storage/schema.h"
#include "storage/storage_error.h"

namespace wb::storage {

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr std::array<char, 16> kSqliteMagic = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                               'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

std::string fix_for(int code) {
    switch (code & 0xff) {
        case SQLITE_CORRUPT:
            // Damage is local to some pages: the rest of the file still reads (and takes new
            // runs), so the fix saves what is readable instead of giving up on the file.
            return "Part of the file is damaged (a failing disk, or a copy taken while a run was "
                   "writing); what is stored elsewhere in it still reads. List the runs with "
                   "`workbench-cli runs`, save each one you want with `workbench-cli export ID "
                   "--out FOLDER`, and restore the file from a backup if you have one. Keep the "
                   "damaged file until then.";
        case SQLITE_NOTADB:
            return "The file is damaged or is not a GenAI Workbench database. It was left "
                   "untouched: move it aside (keep it if you want to recover it) or pass --db "
                   "<other file>.";
        case SQLITE_FULL:
            return "The disk is full: free some space and try again.";
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_CANTOPEN:
            return "Check that the folder exists and that you may write to it, or pass --db "
                   "<writable file>.";
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return "Another process kept the database locked for more than 5 s: close it and "
                   "try again, or pass --db <other file>.";
        case SQLITE_IOERR:
            return "The disk reported an I/O error: check the drive and free space.";
        default:
            return {};
    }
}

// Refusing a foreign file here, before sqlite3_open, guarantees SQLite never writes to it
// (switching to WAL would otherwise be the first write attempted on an unknown file).
// Refuses a folder; true when `path` is a non-empty file whose header must be checked. Only
// stat(): opening and closing a descriptor of a database file this process already has open
// would release SQLite's POSIX locks on it, and another process could then delete the WAL under
// a live connection (https://www.sqlite.org/howtocorrupt.html, section 2.2).
bool check_existing_file(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) return false;
    if (fs::is_directory(st))
        throw StorageError(path + ": is a folder, not a database file. Pass --db <file>.");
    const auto size = fs::file_size(path, ec);
    return !ec && size > 0;  // SQLite turns an empty file into a new database
}

// Reads the header through SQLite's own descriptor, before SQLite parses or writes anything.
void check_header(sqlite3* db, const std::string& path) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr)
        throw StorageError(path + ": cannot be read. " + fix_for(SQLITE_CANTOPEN));
    std::array<char, 16> head{};
    const int rc = file->pMethods->xRead(file, head.data(), static_cast<int>(head.size()), 0);
    if (rc == SQLITE_IOERR_SHORT_READ || (rc == SQLITE_OK && head != kSqliteMagic))
        throw StorageError(path + ": is not a SQLite database. " + fix_for(SQLITE_NOTADB));
    if (rc != SQLITE_OK) throw StorageError(path + ": cannot be read. " + fix_for(SQLITE_CANTOPEN));
}

void create_parent_folders(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (parent.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
        throw StorageError(path + ": cannot create the folder " + parent.string() + " (" +
                           ec.message() + "). Pass --db <file in a writable folder>.");
}

}  // namespace

std::string describe_failure(const std::string& path, int code, const std::string& cause,
                             const std::string& doing) {
    std::string text = path + ": " + doing + " failed: " + cause + ".";
    const std::string fix = fix_for(code);
    if (!fix.empty()) text += " " + fix;
    return text;
}

Query::Query(Query&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt) {
    other.m_stmt = nullptr;
}

Query::~Query() {
    if (m_stmt == nullptr) return;
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

Query& Query::bind_int(int index, int64_t value) {
    if (sqlite3_bind_int64(m_stmt, index, value) != SQLITE_OK) m_db->fail("binding a value");
    return *this;
}

Query& Query::bind_real(int index, double value) {
    if (sqlite3_bind_double(m_stmt, index, value) != SQLITE_OK) m_db->fail("binding a value");
    return *this;
}

Query& Query::bind_text(int index, const std::string& value) {
    if (sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT,
                            SQLITE_UTF8) != SQLITE_OK)
        m_db->fail("binding a value");
    return *this;
}

Query& Query::bind_blob(int index, const std::string& bytes) {
    if (sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT) !=
        SQLITE_OK)
        m_db->fail("binding a value");
    return *this;
}

Query& Query::bind_blob(int index, const void* bytes, std::size_t size) {
    if (sqlite3_bind_blob64(m_stmt, index, bytes, size, SQLITE_TRANSIENT) != SQLITE_OK)
        m_db->fail("binding a value");
    return *this;
}

bool Query::next() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    sqlite3_reset(m_stmt);
    // The statement's text is for developers; users read what was being done.
    if (rc != SQLITE_DONE)
        m_db->fail(sqlite3_stmt_readonly(m_stmt) ? "reading the run history"
                                                 : "writing to the run history");
    return false;
}

void Query::run() {
    while (next()) {
    }
}

int64_t Query::int_at(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}

double Query::real_at(int column) const {
    if (sqlite3_column_type(m_stmt, column) == SQLITE_NULL)
        return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(m_stmt, column);
}

std::string Query::text_at(int column) const {
    // Blob access works for TEXT and BLOB columns alike and keeps embedded NUL bytes.
    const void* data = sqlite3_column_blob(m_stmt, column);
    const int size = sqlite3_column_bytes(m_stmt, column);
    if (data == nullptr || size <= 0) return {};
    return std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

const void* Query::blob_at(int column, std::size_t* size) const {
    const void* data = sqlite3_column_blob(m_stmt, column);
    const int bytes = sqlite3_column_bytes(m_stmt, column);
    *size = data != nullptr && bytes > 0 ? static_cast<std::size_t>(bytes) : 0;
    return *size > 0 ? data : nullptr;
}

Connection::Connection(std::string path, OpenMode mode)
    : m_path(std::move(path)), m_read_only(mode == OpenMode::ReadOnly) {
    if (m_path.empty()) throw StorageError("No database file given. Pass --db <file>.");
    const bool existing = check_existing_file(m_path);
    std::error_code ec;
    if (m_read_only && !std::filesystem::exists(m_path, ec))
        throw StorageError(m_path +
                           ": no such database. Check --db (a mistyped path is not created by "
                           "commands that only read; `workbench-cli run` creates a database).");
    if (!m_read_only) create_parent_folders(m_path);
    open(false);
    try {
        configure(existing);
    } catch (const StorageError& e) {
        const int code = e.sqlite_code() & 0xff;
        const bool no_index = code == SQLITE_IOERR || code == SQLITE_CANTOPEN ||
                              code == SQLITE_READONLY || code == SQLITE_FULL;
        close();
        if (!m_read_only || !no_index) throw;
        // Reading a WAL file takes its -shm index, which cannot be created on a full disk or
        // in a read-only folder. Nobody can be writing there either, so read the file as it is.
        open(true);
        try {
            configure(existing);
        } catch (...) {
            close();
            throw;
        }
    }
}

void Connection::open(bool immutable) {
    // NOMUTEX: each connection is used by one thread at a time (RunStore locks its own mutex,
    // the Recorder's lives on its thread), and SQLite's per-call locking costs ~15% of ingest.
    int flags = (m_read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    std::string name = m_path;
    if (immutable) {
        flags |= SQLITE_OPEN_URI;
        name = "file:";
        for (const char c : std::filesystem::absolute(m_path).string()) {
            if (c == '%' || c == '?' || c == '#') {
                static const char* kHex = "0123456789ABCDEF";
                name += '%';
                name += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
                name += kHex[static_cast<unsigned char>(c) & 0xf];
            } else {
                name += c;
            }
        }
        name += "?immutable=1";
    }
    const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string cause = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw StorageError(describe_failure(m_path, rc, cause, "opening the database"), rc);
    }
}

void Connection::configure(bool existing) {
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, kBusyTimeoutMs);
    if (existing) check_header(m_db, m_path);
    // The version check comes before any write so a newer app's file is never modified.
    check_schema_version(*this);
    if (m_read_only) {
        m_current = schema_is_current(*this);
    } else {
        exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        migrate(*this);
    }
}

void Connection::close() {
    for (auto& [sql, stmt] : m_statements) sqlite3_finalize(stmt);
    m_statements.clear();
    sqlite3_close_v2(m_db);
    m_db = nullptr;
}

Connection::~Connection() {
    close();
}

Query Connection::query(const std::string& sql) {
    auto it = m_statements.find(sql);
    if (it == m_statements.end()) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
            fail("preparing \"" + sql + "\"");
        it = m_statements.emplace(sql, stmt).first;
    }
    return Query(*this, it->second);
}

void Connection::exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return;
    const std::string cause = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw StorageError(describe_failure(m_path, rc, cause, std::string("running \"") + sql + "\""),
                       rc);
}

int64_t Connection::last_insert_id() const {
    return sqlite3_last_insert_rowid(m_db);
}

int Connection::changes() const {
    return sqlite3_changes(m_db);
}

void Connection::fail(const std::string& doing) const {
    const int code = sqlite3_extended_errcode(m_db);
    throw StorageError(describe_failure(m_path, code, sqlite3_errmsg(m_db), doing), code);
}

bool StorageError::may_pass() const {
    switch (m_code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
            return true;
        default:
            return false;
    }
}

Transaction::Transaction(Connection& db) : m_db(db) {
    m_db.exec("BEGIN IMMEDIATE");
}

Transaction::Transaction(Connection& db, NoWait) : m_db(db), m_open(false) {
    sqlite3_busy_timeout(m_db.handle(), 0);
    const int rc = sqlite3_exec(m_db.handle(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_busy_timeout(m_db.handle(), kBusyTimeoutMs);
    if (rc == SQLITE_OK) {
        m_open = true;
        return;
    }
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
        m_db.fail("starting a write transaction");
}

Transaction::~Transaction() {
    if (m_open) sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    m_db.exec("COMMIT");
    m_open = false;
}

}  // namespace wb::storage
