// The few NVML entry points the meter needs, declared here with their C signatures from nvml.h
// (the header is not needed to build, only the driver's library to run).
#include "engine/energy/nvml.h"

#include <dlfcn.h>

#include <cstdlib>
#include <sstream>
#include <vector>

namespace wb::energy {
namespace {

using nvmlReturn_t = int;  // NVML_SUCCESS is 0
using nvmlDevice_t = void*;
struct nvmlUtilization_t {
    unsigned int gpu;
    unsigned int memory;
};

// Which device CUDA's index means: CUDA_VISIBLE_DEVICES lists the machine's GPUs (by index or
// UUID) that CUDA numbers from 0; unset, the numbering is the same.
struct Target {
    bool by_uuid = false;
    unsigned index = 0;
    std::string uuid;
};

std::optional<Target> target_of(int cuda_index, std::string* why) {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    if (!visible || !*visible) return Target{false, static_cast<unsigned>(cuda_index), {}};
    std::vector<std::string> entries;
    std::stringstream list(visible);
    for (std::string e; std::getline(list, e, ',');) entries.push_back(e);
    if (cuda_index < 0 || cuda_index >= static_cast<int>(entries.size())) {
        *why = "CUDA_VISIBLE_DEVICES=" + std::string(visible) + " has no GPU " +
               std::to_string(cuda_index);
        return std::nullopt;
    }
    const std::string& e = entries[static_cast<size_t>(cuda_index)];
    if (e.rfind("GPU-", 0) == 0 || e.rfind("MIG-", 0) == 0) return Target{true, 0, e};
    char* end = nullptr;
    const unsigned long i = std::strtoul(e.c_str(), &end, 10);
    if (e.empty() || *end != '\0') {
        *why = "cannot tell which GPU CUDA_VISIBLE_DEVICES entry '" + e + "' names";
        return std::nullopt;
    }
    return Target{false, static_cast<unsigned>(i), {}};
}

}  // namespace

struct NvmlDevice::Api {
    void* lib = nullptr;
    nvmlReturn_t (*init)() = nullptr;
    nvmlReturn_t (*shutdown)() = nullptr;
    const char* (*error_string)(nvmlReturn_t) = nullptr;
    nvmlReturn_t (*by_index)(unsigned, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*by_uuid)(const char*, nvmlDevice_t*) = nullptr;
    nvmlReturn_t (*get_index)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*get_name)(nvmlDevice_t, char*, unsigned) = nullptr;
    nvmlReturn_t (*energy)(nvmlDevice_t, unsigned long long*) = nullptr;
    nvmlReturn_t (*power)(nvmlDevice_t, unsigned*) = nullptr;
    nvmlReturn_t (*utilisation)(nvmlDevice_t, nvmlUtilization_t*) = nullptr;
    bool initialised = false;

    template <typename F>
    bool bind(F& f, const char* symbol) {
        f = reinterpret_cast<F>(::dlsym(lib, symbol));
        return f != nullptr;
    }
    std::string error(nvmlReturn_t r) const {
        return error_string ? error_string(r) : "NVML error " + std::to_string(r);
    }
    ~Api() {
        if (initialised) shutdown();
        if (lib) ::dlclose(lib);
    }
};

std::unique_ptr<NvmlDevice> NvmlDevice::open(const std::string& library, int cuda_index,
                                             std::string* why) {
    auto api = std::make_unique<Api>();
    api->lib = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!api->lib) {
        const char* err = ::dlerror();
        *why = "cannot load " + library + " (" + (err ? err : "not found") +
               "): the NVIDIA driver is not installed here";
        return nullptr;
    }
    if (!api->bind(api->init, "nvmlInit_v2") || !api->bind(api->shutdown, "nvmlShutdown") ||
        !api->bind(api->by_index, "nvmlDeviceGetHandleByIndex_v2") ||
        !api->bind(api->get_index, "nvmlDeviceGetIndex")) {
        *why = library + " lacks nvmlInit_v2 or the device calls: the driver is too old";
        return nullptr;
    }
    api->bind(api->error_string, "nvmlErrorString");
    api->bind(api->by_uuid, "nvmlDeviceGetHandleByUUID");
    api->bind(api->get_name, "nvmlDeviceGetName");
    api->bind(api->energy, "nvmlDeviceGetTotalEnergyConsumption");
    api->bind(api->power, "nvmlDeviceGetPowerUsage");
    api->bind(api->utilisation, "nvmlDeviceGetUtilizationRates");
    if (const nvmlReturn_t r = api->init(); r != 0) {
        *why = "NVML does not start: " + api->error(r);
        return nullptr;
    }
    api->initialised = true;
    const auto target = target_of(cuda_index, why);
    if (!target) return nullptr;
    nvmlDevice_t device = nullptr;
    nvmlReturn_t r = -1;
    if (!target->by_uuid)
        r = api->by_index(target->index, &device);
    else if (api->by_uuid)
        r = api->by_uuid(target->uuid.c_str(), &device);
    if (r != 0) {
        *why = "NVML has no GPU " +
               (target->by_uuid ? target->uuid : std::to_string(target->index)) + ": " +
               api->error(r);
        return nullptr;
    }
    std::unique_ptr<NvmlDevice> d(new NvmlDevice);
    d->m_device = device;
    api->get_index(device, &d->m_index);
    char name[96] = {0};
    if (api->get_name && api->get_name(device, name, sizeof name) == 0) d->m_name = name;
    d->m_api = std::move(api);
    return d;
}

NvmlDevice::~NvmlDevice() = default;

std::optional<uint64_t> NvmlDevice::energy_mj() {
    unsigned long long mj = 0;
    if (!m_api->energy || m_api->energy(m_device, &mj) != 0) return std::nullopt;
    return static_cast<uint64_t>(mj);
}

std::optional<double> NvmlDevice::power_w() {
    unsigned mw = 0;
    if (!m_api->power || m_api->power(m_device, &mw) != 0) return std::nullopt;
    return static_cast<double>(mw) * 1e-3;
}

std::optional<double> NvmlDevice::utilisation() {
    nvmlUtilization_t u{};
    if (!m_api->utilisation || m_api->utilisation(m_device, &u) != 0) return std::nullopt;
    return static_cast<double>(u.gpu) / 100.0;
}

}  // namespace wb::energy
