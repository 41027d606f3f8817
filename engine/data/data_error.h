// The error every dataset reader throws for problems a user can cause or fix.
// Its message names the file, what is wrong with it and the fix, so the UI can show it as is.
#pragma once

#include <stdexcept>

namespace wb::engine::data {

struct DataError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace wb::engine::data
