#include "engine/run/run_setup.h"

#include <algorithm>
#include <thread>

#include "engine/models/cpu_gemm.h"
#include "engine/process_memory.h"

namespace wb::engine {

int set_up_threads(const api::RunConfig& config, const api::DistJoin& dist) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int ranks_here = dist.active() ? std::max(1, dist.local_world) : 1;
    const int threads = config.train.threads > 0 ? static_cast<int>(config.train.threads)
                                                 : std::max(1, cores / ranks_here);
    at::set_num_threads(threads);
    models::set_cpu_gemm(config.train.cpu_gemm == "blas" ? models::CpuGemm::Blas
                                                         : models::CpuGemm::OneDnn);
    return threads;
}

std::vector<Metric> step_metrics(const StepOutput& out, double lr, double step_s,
                                 const torch::Device& device) {
    std::vector<Metric> m = {
        {"lr", lr},
        {"time/step_ms", step_s * 1e3},
        {"throughput/samples_per_s", static_cast<double>(out.samples) / step_s}};
    if (out.tokens > 0)
        m.push_back({"throughput/tokens_per_s", static_cast<double>(out.tokens) / step_s});
    const auto mem = memory_use(device);
    m.push_back({"memory/allocated_bytes", static_cast<double>(mem.allocated_bytes)});
    m.push_back({"memory/peak_bytes", static_cast<double>(mem.peak_bytes)});
    return m;
}

}  // namespace wb::engine
