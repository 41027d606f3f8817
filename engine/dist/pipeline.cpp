// Pipeline schedules and the stage that runs them. Sends are started and left to complete while
// the stage computes on (c10d's send returns at once); receives are waited for just before the
// pass that needs them, and that wait is the stage's idle time.
#include "engine/dist/pipeline.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include "engine/process_memory.h"

namespace wb::engine::dist {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// One tag per micro-batch and direction, so a send always meets its own receive.
int tag(int micro, bool backward) {
    return 2 * micro + (backward ? 1 : 0);
}

}  // namespace

PipelineSchedule parse_schedule(const std::string& name) {
    if (name == "gpipe") return PipelineSchedule::GPipe;
    if (name == "1f1b") return PipelineSchedule::OneFOneB;
    throw std::invalid_argument("dist.schedule: unknown pipeline schedule '" + name +
                                "' (gpipe or 1f1b)");
}

std::vector<PipelineAction> pipeline_order(PipelineSchedule schedule, int stage, int stages,
                                           int micro) {
    std::vector<PipelineAction> order;
    order.reserve(static_cast<size_t>(2 * micro));
    if (schedule == PipelineSchedule::GPipe) {
        for (int i = 0; i < micro; ++i) order.push_back({true, i});
        for (int i = 0; i < micro; ++i) order.push_back({false, i});
        return order;
    }
    const int warmup = std::min(stages - stage - 1, micro);
    for (int i = 0; i < warmup; ++i) order.push_back({true, i});
    for (int i = 0; i < micro - warmup; ++i) {
        order.push_back({true, warmup + i});
        order.push_back({false, i});
    }
    for (int i = micro - warmup; i < micro; ++i) order.push_back({false, i});
    return order;
}

int max_in_flight(const std::vector<PipelineAction>& order) {
    int now = 0, most = 0;
    for (const auto& a : order) {
        now += a.forward ? 1 : -1;
        most = std::max(most, now);
    }
    return most;
}

double ideal_bubble(int stages, int micro) {
    return static_cast<double>(stages - 1) / static_cast<double>(micro + stages - 1);
}

std::vector<int64_t> balanced_split(const std::vector<double>& cost, int stages) {
    const auto n = static_cast<int64_t>(cost.size()) - 2;
    if (stages < 1 || n < stages)
        throw std::invalid_argument(std::to_string(n < 0 ? 0 : n) + " layers cannot fill " +
                                    std::to_string(stages) + " pipeline stages");
    std::vector<double> prefix(static_cast<size_t>(n) + 1, 0.0);
    for (int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + cost[static_cast<size_t>(i) + 1];
    const auto stage_cost = [&](int s, int64_t begin, int64_t end) {
        return prefix[end] - prefix[begin] + (s == 0 ? cost.front() : 0.0) +
               (s == stages - 1 ? cost.back() : 0.0);
    };
    // best[s][j]: the least possible costliest stage when stages 0..s hold layers [0, j).
    constexpr double kNone = std::numeric_limits<double>::infinity();
    std::vector<std::vector<double>> best(stages, std::vector<double>(n + 1, kNone));
    std::vector<std::vector<int64_t>> from(stages, std::vector<int64_t>(n + 1, 0));
    for (int64_t j = 1; j <= n; ++j) best[0][j] = stage_cost(0, 0, j);
    for (int s = 1; s < stages; ++s)
        for (int64_t j = s + 1; j <= n; ++j)
            for (int64_t i = s; i < j; ++i) {
                const double worst = std::max(best[s - 1][i], stage_cost(s, i, j));
                if (worst < best[s][j]) best[s][j] = worst, from[s][j] = i;
            }
    std::vector<int64_t> bounds(static_cast<size_t>(stages) + 1, 0);
    bounds[stages] = n;
    for (int s = stages - 1; s > 0; --s) bounds[s] = from[s][bounds[s + 1]];
    return bounds;
}

PipelineStage::PipelineStage(Collectives& comm, PipelineSchedule schedule, torch::Device device)
    : m_comm(comm),
      m_schedule(schedule),
      m_device(device),
      m_stage(comm.rank()),
      m_stages(comm.world()) {}

StageTimes PipelineStage::run(int micro, const std::vector<int64_t>& activation,
                              const Forward& forward) {
    const auto order = pipeline_order(m_schedule, m_stage, m_stages, micro);
    const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(m_device);
    std::vector<torch::Tensor> inputs(static_cast<size_t>(micro)), outputs(inputs.size());
    std::vector<std::function<void()>> sends;
    StageTimes t;
    t.in_flight = max_in_flight(order);
    const auto start = Clock::now();
    const int64_t base = heap_bytes_in_use(m_device);
    const auto timed = [&](const std::function<void()>& pass) {
        const auto t0 = Clock::now();
        pass();
        t.busy_ms += ms_since(t0);
        t.activation_bytes = std::max(t.activation_bytes, heap_bytes_in_use(m_device) - base);
    };
    for (const auto& a : order) {
        const auto i = static_cast<size_t>(a.micro);
        if (a.forward) {
            torch::Tensor in;
            if (!first()) {
                in = torch::empty(activation, options);
                m_comm.recv_async(in, m_stage - 1, tag(a.micro, false))();
                in.requires_grad_(true);
            }
            timed([&] { outputs[i] = forward(a.micro, in); });
            inputs[i] = in;
            if (!last())
                sends.push_back(m_comm.send_async(outputs[i].detach().to(torch::kFloat32),
                                                  m_stage + 1, tag(a.micro, false)));
            continue;
        }
        torch::Tensor grad;
        if (!last()) {
            grad = torch::empty(activation, options);
            m_comm.recv_async(grad, m_stage + 1, tag(a.micro, true))();
        }
        timed([&] {
            if (last())
                outputs[i].backward();
            else
                outputs[i].backward(grad.to(outputs[i].scalar_type()));
        });
        if (!first())
            sends.push_back(m_comm.send_async(inputs[i].grad(), m_stage - 1, tag(a.micro, true)));
        inputs[i] = outputs[i] = torch::Tensor();  // the micro-batch's graph goes now
    }
    for (auto& wait : sends) wait();
    t.span_ms = ms_since(start);
    return t;
}

}  // namespace wb::engine::dist
