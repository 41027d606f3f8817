#include "engine/api/dist_env.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace wb::api {
namespace {

int env_int(const char* name, int fallback, int lo, int hi) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < lo || n > hi)
        throw std::runtime_error(std::string(name) + "='" + v + "' is not a number in [" +
                                 std::to_string(lo) + ", " + std::to_string(hi) +
                                 "]; torchrun and srun set it; unset it to train as one process");
    return static_cast<int>(n);
}

}  // namespace

DistJoin join_from_environment() {
    DistJoin j;
    if (!std::getenv("RANK") || !std::getenv("WORLD_SIZE")) return j;
    j.world = env_int("WORLD_SIZE", 1, 1, 65536);
    j.rank = env_int("RANK", 0, 0, j.world - 1);
    j.local_rank = env_int("LOCAL_RANK", 0, 0, 65535);
    j.local_world = env_int("LOCAL_WORLD_SIZE", 1, 1, 65536);
    j.restart = env_int("TORCHELASTIC_RESTART_COUNT", 0, 0, 1 << 30);
    j.port = env_int("MASTER_PORT", 29500, 1, 65535);
    const char* addr = std::getenv("MASTER_ADDR");
    j.addr = addr && *addr ? addr : "127.0.0.1";
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    j.agent_store = agent && std::string(agent) == "True";
    if (const char* id = std::getenv("TORCHELASTIC_RUN_ID"); id && *id) {
        j.job = id;
        if (j.job == "none") {
            char host[256] = {};
            gethostname(host, sizeof host - 1);
            j.job += "@" + std::string(host) + ":" + std::to_string(getppid());
        }
    }
    return j;
}

}  // namespace wb::api
