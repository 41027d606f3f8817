// StorageError: the one exception the storage layer throws.
// Its message is meant for users: it names the database file, the cause and the fix.
#pragma once

#include <stdexcept>
#include <string>

namespace wb::storage {

class StorageError : public std::runtime_error {
public:
    explicit StorageError(const std::string& message, int sqlite_code = 0)
        : std::runtime_error(message), m_code(sqlite_code) {}

    /// The SQLite result code behind the error (extended codes included); 0 when it did not come
    /// from SQLite (a folder where the file should be, a damaged row).
    int sqlite_code() const { return m_code; }
    /// Another connection held the lock past the busy timeout, or the disk was full or failed:
    /// the same write may succeed later, so a writer can hold its data and retry.
    bool may_pass() const;

private:
    int m_code = 0;
};

}  // namespace wb::storage
