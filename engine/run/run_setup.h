// What the run loop sets up once and records every step, kept out of engine/run.cpp: the
// thread count of this rank and the timing, throughput and memory metrics of a step.
#pragma once

#include <chrono>
#include <vector>

#include "engine/api/engine.h"
#include "engine/train/trainer.h"

namespace wb::engine {

/// Sets LibTorch's threads and the CPU GEMM for this process and returns the thread count:
/// train.threads, or with 0 this machine's cores shared evenly by the ranks on it.
int set_up_threads(const api::RunConfig& config, const api::DistJoin& dist);

/// Seconds from `t` to now.
inline double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// lr, time/step_ms, throughput/* and memory/* of a step that took `step_s`.
std::vector<Metric> step_metrics(const StepOutput& out, double lr, double step_s,
                                 const torch::Device& device);

}  // namespace wb::engine
