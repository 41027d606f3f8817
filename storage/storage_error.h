// StorageError: the one exception the storage layer throws.
// Its message is meant for users: it names the database file, the cause and the fix.
#pragma once

#include <stdexcept>
#include <string>

namespace wb::storage {

class StorageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace wb::storage
