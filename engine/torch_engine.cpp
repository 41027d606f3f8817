// TorchEngine: owns the runs, checks what can only be checked here (the device), and hands the
// shared event buffer to the consumer.
#include "engine/torch_engine.h"

#include <unistd.h>

#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/checkpoint.h"
#include "engine/compat.h"
#include "engine/malloc_tuning.h"
#include "engine/models/cpu_gemm.h"
#include "engine/run.h"

namespace wb::engine {
namespace {

class TorchEngine final : public api::Engine {
public:
    ~TorchEngine() override {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (auto& [id, run] : m_runs) run->stop();
        for (auto& [id, run] : m_runs) run->join();
    }

    std::vector<api::ConfigError> start(const api::StartRequest& request) override {
        auto errors = request.config.validate();
        const auto& dev = request.config.device;
        if (dev == "cuda" && !compat::cuda_usable())
            errors.push_back(
                {"device", compat::built_with_cuda()
                               ? "'cuda' was asked for but no CUDA device is usable; use device=cpu"
                               : "'cuda' was asked for but this LibTorch " +
                                     compat::torch_version() +
                                     " was built without CUDA; use device=cpu or build against a "
                                     "CUDA LibTorch (see README)"});
        const bool on_cuda = dev == "cuda" || (dev == "auto" && compat::cuda_usable());
        if (request.config.precision == "fp16" && !on_cuda)
            errors.push_back({"precision",
                              "fp16 needs a CUDA GPU (float16 matrix products are not supported "
                              "for training on the CPU); use precision=bf16 on the CPU, or "
                              "device=cuda on a machine with an NVIDIA GPU"});
        if (request.checkpoint_dir.empty())
            errors.push_back(
                {"", "no checkpoint folder given for run " + std::to_string(request.run_id)});
        std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_runs.find(request.run_id);
        if (it != m_runs.end()) {
            if (!api::is_final(it->second->info().status))
                errors.push_back(
                    {"", "run " + std::to_string(request.run_id) + " is already training"});
            else if (errors.empty()) {
                it->second->join();
                m_runs.erase(it);
            }
        }
        if (!errors.empty()) return errors;
        // A fresh run owns its folder: checkpoints there belong to an earlier run that had this
        // id (another database at this path, or a file from before ids were never reused), and
        // a later Continue would resume from them.
        int stale = 0;
        if (!request.resume) {
            try {
                stale = remove_checkpoints(request.checkpoint_dir);
            } catch (const std::exception& e) {
                return {{"", std::string(e.what()) + "; remove it by hand or open another "
                                                     "database"}};
            }
        }
        if (stale > 0)
            m_queue.push(api::RunEvent::log(request.run_id, 0, 0, "warning",
                                            "removed " + std::to_string(stale) +
                                                " checkpoint file(s) of an earlier run from " +
                                                request.checkpoint_dir));
        const torch::Device device = (dev == "cuda" || (dev == "auto" && compat::cuda_usable()))
                                         ? torch::Device(torch::kCUDA, 0)
                                         : torch::Device(torch::kCPU);
        auto run = std::make_unique<Run>(request, device, m_queue);
        run->start();
        m_runs.emplace(request.run_id, std::move(run));
        return {};
    }

    void pause(int64_t id) override {
        with(id, [](Run& r) { r.pause(); });
    }
    void resume(int64_t id) override {
        with(id, [](Run& r) { r.resume(); });
    }
    void stop(int64_t id) override {
        with(id, [](Run& r) { r.stop(); });
    }

    std::vector<api::RunInfo> runs() const override {
        std::lock_guard<std::mutex> lock(m_mutex);
        std::vector<api::RunInfo> out;
        for (const auto& [id, run] : m_runs) out.push_back(run->info());
        return out;
    }

    std::vector<api::RunEvent> drain() override { return m_queue.drain(); }

    void wait(int64_t id) override {
        Run* run = nullptr;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            auto it = m_runs.find(id);
            if (it == m_runs.end()) return;
            run = it->second.get();
        }
        // Runs are only erased by start() of the same id, which a waiting caller does not do.
        run->join();
    }

    std::string environment_json() const override {
        char host[256] = {0};
        ::gethostname(host, sizeof host - 1);
        nlohmann::json j = {
            {"libtorch", compat::torch_version()},
            {"cuda_built", compat::built_with_cuda()},
            {"cuda_available", compat::cuda_usable()},
            {"cpu_cores", std::thread::hardware_concurrency()},
            {"host", host},
            {"compiler", __VERSION__},
            {"malloc_tuned", keep_freed_memory_for_reuse()},
            {"onednn_gemm", models::onednn_gemm_available()},
#ifdef NDEBUG
            {"build", "release"},
#else
            {"build", "debug"},
#endif
        };
        if (compat::cuda_usable()) j["cuda_devices"] = torch::cuda::device_count();
        return j.dump();
    }

private:
    template <typename F>
    void with(int64_t id, F f) {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto it = m_runs.find(id);
        if (it != m_runs.end()) f(*it->second);
    }

    mutable std::mutex m_mutex;
    std::map<int64_t, std::unique_ptr<Run>> m_runs;
    EventQueue m_queue;
};

}  // namespace

std::unique_ptr<api::Engine> make_torch_engine() {
    keep_freed_memory_for_reuse();  // before the first run thread allocates
    return std::make_unique<TorchEngine>();
}

}  // namespace wb::engine
