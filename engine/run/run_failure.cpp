// Exception to status mapping for runs.
#include "engine/run/run_failure.h"

#include <new>

#include "engine/data/data_error.h"

namespace wb::engine {
namespace {

bool is_oom(const std::string& what) {
    return what.find("out of memory") != std::string::npos ||
           what.find("Out of memory") != std::string::npos ||
           what.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
}

}  // namespace

RunFailure diverged(const std::string& metric, double value, int64_t step, double lr,
                    int64_t last_checkpoint) {
    return RunFailure(
        api::FailureKind::NonFinite,
        metric + " became " + std::to_string(value) + " at step " + std::to_string(step) +
            ": training diverged. Lower optim.lr (now " + std::to_string(lr) +
            ") or the batch size, then resume from the last good checkpoint (step " +
            std::to_string(std::max<int64_t>(last_checkpoint, 0)) + ") or start a new run.");
}

void report_failures(const std::function<void()>& body,
                     const std::function<void(api::FailureKind, const std::string&)>& fail,
                     const torch::Device& device, const std::function<int64_t()>& step) {
    using api::FailureKind;
    const auto oom = [&](const std::string& detail) {
        fail(FailureKind::OutOfMemory,
             "out of memory on " + device.str() + " at step " + std::to_string(step()) +
                 ": lower train.batch_size or model.width, or close other runs" + detail);
    };
    try {
        body();
    } catch (const data::DataError& e) {
        fail(FailureKind::Data, e.what());
    } catch (const RunFailure& e) {
        fail(e.kind, e.what());
    } catch (const std::bad_alloc&) {
        oom("");
    } catch (const std::exception& e) {
        const std::string what = e.what();
        const std::string first = what.substr(0, what.find('\n'));
        if (is_oom(what))
            oom(" (" + first + ")");
        else
            fail(FailureKind::Other,
                 "training failed at step " + std::to_string(step()) + ": " + first);
    }
}

}  // namespace wb::engine
