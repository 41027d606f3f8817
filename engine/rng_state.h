// Generator state as hex text, so checkpoints can hold it without device mapping of tensors
// (a CUDA run loads its checkpoint onto the GPU, but CPU generator state must stay on the CPU).
#pragma once

#include <mutex>
#include <string>

#include <torch/torch.h>

namespace wb::engine {

std::string generator_state_hex(const at::Generator& gen);
/// Throws std::runtime_error when the text is not a state of this generator kind.
void set_generator_state_hex(at::Generator& gen, const std::string& hex);

/// LibTorch's global generator seeds weight initialisation (torch::manual_seed, then the module
/// constructors). A run holds this lock while it builds its networks, so its initial weights
/// follow from its own seed even when runs start together. Nothing draws from that generator
/// while training: every random draw of a run uses the run's own generator.
std::mutex& global_generator_mutex();

/// Holds global_generator_mutex() and puts the global generator's state back when it ends, so
/// work that builds throw-away modules (measurement copies) leaves the stream as it was.
class GlobalGeneratorGuard {
public:
    GlobalGeneratorGuard();
    ~GlobalGeneratorGuard();
    GlobalGeneratorGuard(const GlobalGeneratorGuard&) = delete;
    GlobalGeneratorGuard& operator=(const GlobalGeneratorGuard&) = delete;

private:
    std::lock_guard<std::mutex> m_lock;
    torch::Tensor m_state;
};

}  // namespace wb::engine
