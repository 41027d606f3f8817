// Generator state as hex text, so checkpoints can hold it without device mapping of tensors
// (a CUDA run loads its checkpoint onto the GPU, but CPU generator state must stay on the CPU).
#pragma once

#include <string>

#include <torch/torch.h>

namespace wb::engine {

std::string generator_state_hex(const at::Generator& gen);
/// Throws std::runtime_error when the text is not a state of this generator kind.
void set_generator_state_hex(at::Generator& gen, const std::string& hex);

}  // namespace wb::engine
