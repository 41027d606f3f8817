// NVIDIA's management library (NVML), loaded at run time with dlopen, so that a build without the
// driver still runs: a GPU's energy counter, power draw and utilisation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace wb::energy {

inline constexpr const char* kNvmlLibrary = "libnvidia-ml.so.1";

/// One GPU, held open (NVML initialised, library loaded) for the object's lifetime.
class NvmlDevice {
public:
    /// The GPU that CUDA numbers `cuda_index` (CUDA_VISIBLE_DEVICES applied: NVML numbers every
    /// GPU of the machine). nullptr with `why` when the library does not load, NVML does not
    /// start, or it has no such GPU.
    static std::unique_ptr<NvmlDevice> open(const std::string& library, int cuda_index,
                                            std::string* why);
    ~NvmlDevice();
    NvmlDevice(const NvmlDevice&) = delete;
    NvmlDevice& operator=(const NvmlDevice&) = delete;

    /// Millijoules the GPU drew since the driver loaded (Volta and later); nullopt when the GPU
    /// does not count energy.
    std::optional<uint64_t> energy_mj();
    /// Board power now, in watts; nullopt when it does not report power.
    std::optional<double> power_w();
    /// Share of the last sample period in which a kernel ran (0..1); nullopt when unknown.
    std::optional<double> utilisation();

    const std::string& name() const { return m_name; }
    /// NVML's index of the GPU (the machine's numbering).
    unsigned index() const { return m_index; }

    struct Api;

private:
    NvmlDevice() = default;
    std::unique_ptr<Api> m_api;
    void* m_device = nullptr;
    std::string m_name;
    unsigned m_index = 0;
};

}  // namespace wb::energy
