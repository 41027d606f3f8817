// Raw SQLite access for storage tests: inspect or tamper with a database behind the API's back.
// Kept apart from the production code so the tests check the file, not the code's own view of it.
#pragma once

#include <stdexcept>
#include <string>

#include <sqlite3.h>

namespace wb::storage::test {

class RawDb {
public:
    explicit RawDb(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path);
        sqlite3_busy_timeout(m_db, 5000);
    }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;
    ~RawDb() { sqlite3_close_v2(m_db); }

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            const std::string text = message != nullptr ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error(sql + ": " + text);
        }
    }

    /// First column of the first row as text; empty when there is no row.
    std::string scalar(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(sql + ": " + sqlite3_errmsg(m_db));
        std::string value;
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, 0);
            if (text != nullptr) value = reinterpret_cast<const char*>(text);
        }
        sqlite3_finalize(stmt);
        return value;
    }

    long long count(const std::string& sql) { return std::stoll("0" + scalar(sql)); }

private:
    sqlite3* m_db = nullptr;
};

}  // namespace wb::storage::test
