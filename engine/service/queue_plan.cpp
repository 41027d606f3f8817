// plan_queue: the queue's whole policy (admission in strict order, preemption of the fewest
// lower-priority runs) as a pure function, and the checks of a reservation against a machine.
#include <sched.h>

#include <algorithm>
#include <thread>

#include "engine/service/scheduler.h"

namespace wb::service {

using storage::QueueEntry;
using storage::QueueResources;
using storage::QueueState;

namespace {

struct Usage {
    int threads = 0;
    std::vector<int> whole;       ///< runs holding each GPU whole
    std::vector<int> shares;      ///< runs holding a share of each GPU's memory
    std::vector<int64_t> mem_mb;  ///< the memory those shares declared

    explicit Usage(size_t gpus) : whole(gpus, 0), shares(gpus, 0), mem_mb(gpus, 0) {}

    void add(const QueueResources& need, const std::vector<int>& gpus, int sign) {
        threads += sign * need.threads;
        for (int g : gpus) {
            if (g < 0 || static_cast<size_t>(g) >= whole.size()) continue;
            if (need.gpu_mem_mb == 0) {
                whole[g] += sign;
            } else {
                shares[g] += sign;
                mem_mb[g] += sign * need.gpu_mem_mb;
            }
        }
    }
};

bool gpu_fits(const QueueResources& need, size_t g, const Usage& used, const Capacity& cap) {
    if (used.whole[g] > 0) return false;
    if (need.gpu_mem_mb == 0) return used.shares[g] == 0;
    return cap.gpu_mem_mb[g] == 0 || used.mem_mb[g] + need.gpu_mem_mb <= cap.gpu_mem_mb[g];
}

// The GPUs `need` gets now, or nullopt when it does not fit.
std::optional<std::vector<int>> place(const QueueResources& need, const Usage& used,
                                      const Capacity& cap) {
    if (used.threads + need.threads > cap.cores) return std::nullopt;
    std::vector<int> gpus;
    if (!need.gpu_ids.empty()) {
        for (int g : need.gpu_ids) {
            if (g < 0 || static_cast<size_t>(g) >= cap.gpu_mem_mb.size() ||
                !gpu_fits(need, g, used, cap))
                return std::nullopt;
            gpus.push_back(g);
        }
        return gpus;
    }
    for (size_t g = 0; g < cap.gpu_mem_mb.size() && static_cast<int>(gpus.size()) < need.gpus; ++g)
        if (gpu_fits(need, g, used, cap)) gpus.push_back(static_cast<int>(g));
    if (static_cast<int>(gpus.size()) < need.gpus) return std::nullopt;
    return gpus;
}

}  // namespace

int usable_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

std::optional<std::string> never_fits(const QueueResources& need, const Capacity& cap) {
    if (need.threads < 1) return "--threads must be at least 1";
    if (need.threads > cap.cores)
        return "it asks for " + std::to_string(need.threads) +
               " CPU threads, and this machine has " + std::to_string(cap.cores) +
               " cores: lower --threads (or train.threads)";
    const size_t gpus = cap.gpu_mem_mb.size();
    for (int g : need.gpu_ids)
        if (g < 0 || static_cast<size_t>(g) >= gpus)
            return "it asks for GPU " + std::to_string(g) + ", and this machine has " +
                   std::to_string(gpus) + " GPU(s): pick ids below " + std::to_string(gpus) +
                   " in --gpu-ids";
    if (static_cast<size_t>(need.gpu_count()) > gpus)
        return "it asks for " + std::to_string(need.gpu_count()) +
               " GPU(s), and this machine has " + std::to_string(gpus) + ": lower --gpus";
    if (need.gpu_mem_mb < 0) return "--gpu-mem must not be negative";
    if (need.gpu_mem_mb > 0 && need.gpu_count() == 0)
        return "--gpu-mem needs --gpus N or --gpu-ids";
    for (size_t g = 0; g < gpus; ++g)
        if (cap.gpu_mem_mb[g] > 0 && need.gpu_mem_mb > cap.gpu_mem_mb[g])
            return "it asks for " + std::to_string(need.gpu_mem_mb) + " MiB on a GPU, and GPU " +
                   std::to_string(g) + " has " + std::to_string(cap.gpu_mem_mb[g]) +
                   " MiB: lower --gpu-mem";
    return std::nullopt;
}

Plan plan_queue(const std::vector<QueueEntry>& entries, const Capacity& cap) {
    Plan plan;
    Usage used(cap.gpu_mem_mb.size());
    for (const auto& e : entries)
        if (e.holds_resources()) used.add(e.need, e.assigned_gpus, +1);
    for (const auto& w : entries) {
        if (w.state != QueueState::Waiting || !w.waiting_run()) continue;
        if (const auto gpus = place(w.need, used, cap)) {
            used.add(w.need, *gpus, +1);
            plan.starts.push_back({w.run_id, *gpus});
            continue;
        }
        plan.blocked = w.run_id;
        // Runs already stopping for it may be enough.
        Usage after = used;
        for (const auto& e : entries)
            if (e.state == QueueState::Preempting) after.add(e.need, e.assigned_gpus, -1);
        if (place(w.need, after, cap)) break;
        std::vector<const QueueEntry*> victims;
        for (const auto& e : entries)
            if (e.state == QueueState::Started && e.priority < w.priority) victims.push_back(&e);
        std::stable_sort(victims.begin(), victims.end(), [](const auto* a, const auto* b) {
            if (a->priority != b->priority) return a->priority < b->priority;
            return a->started_at > b->started_at;
        });
        std::vector<const QueueEntry*> chosen;
        for (const auto* v : victims) {
            after.add(v->need, v->assigned_gpus, -1);
            chosen.push_back(v);
            if (place(w.need, after, cap)) break;
        }
        if (!place(w.need, after, cap)) break;  // even all of them would not make room
        // Keep only those that are needed: give back each one whose resources it can do without.
        for (size_t i = chosen.size(); i-- > 0;) {
            Usage without = after;
            without.add(chosen[i]->need, chosen[i]->assigned_gpus, +1);
            if (place(w.need, without, cap)) {
                after = without;
                chosen.erase(chosen.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
        for (const auto* v : chosen) plan.preempt.push_back(v->run_id);
        break;
    }
    return plan;
}

}  // namespace wb::service
