// Refusals and final statuses to exit codes (README, "Exit codes").
#include "engine/service/exit_codes.h"

namespace wb::service {

ExitCode exit_code(const Refusal& refusal) {
    switch (refusal.cause) {
        case Refusal::Cause::Config:
            return kExitBadConfig;
        case Refusal::Cause::Busy:
            return kExitBusy;
        default:
            return kExitFailure;
    }
}

ExitCode exit_code(api::RunStatus final_status, api::FailureKind failure) {
    switch (final_status) {
        case api::RunStatus::Completed:
            return kExitOk;
        case api::RunStatus::Stopped:
            return kExitInterrupted;
        case api::RunStatus::Failed:
            if (failure == api::FailureKind::Data) return kExitDataProblem;
            if (failure == api::FailureKind::Config) return kExitBadConfig;
            return kExitFailure;
        default:
            return kExitFailure;
    }
}

}  // namespace wb::service
