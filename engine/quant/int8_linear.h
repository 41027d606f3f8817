// INT8 fully connected layers for post-training quantization: per-output-channel symmetric int8
// weights and dynamic per-tensor activations, computed with real int8 arithmetic. The one place
// that knows the backend (LibTorch's quantized ops on oneDNN), so it can be replaced by another.
#pragma once

#include <memory>
#include <string>

#include <torch/torch.h>

namespace wb::engine::quant {

/// One layer's weights as stored: int8 [N, K] values, float [N] scales (weight = values *
/// scale of its row, zero point 0) and the fp32 bias [N] or an undefined tensor.
struct Int8Weights {
    torch::Tensor values;
    torch::Tensor scales;
    torch::Tensor bias;
};

/// Symmetric per-row quantization of an fp32 weight [N, K]: scale = max|row| / 127 (rows of
/// zeros get scale 1), values = round(w / scale) clamped to [-127, 127].
Int8Weights quantize_weights(const torch::Tensor& weight, const torch::Tensor& bias = {});
/// The fp32 weight the int8 values stand for (values * scales).
torch::Tensor dequantize(const Int8Weights& w);

/// A quantized linear layer: y = x W^T + b with W in int8 and x quantized per call to uint8
/// with its own range (dynamic quantization, activation_levels() levels), accumulated in
/// integers and rescaled to fp32.
/// Needs a CPU build of LibTorch with a quantization engine (see backend_name()); throws
/// std::runtime_error naming what is missing otherwise.
class Int8Linear {
public:
    Int8Linear() = default;
    explicit Int8Linear(Int8Weights weights);
    /// x [..., K] fp32 -> [..., N] fp32.
    torch::Tensor forward(const torch::Tensor& x) const;
    const Int8Weights& weights() const { return m_weights; }
    int64_t in_features() const { return m_weights.values.size(1); }
    int64_t out_features() const { return m_weights.values.size(0); }
    /// Bytes of the stored weights: int8 values, fp32 scales and bias.
    int64_t bytes() const;

private:
    struct Packs;
    /// The packed weights for inputs of `rows` rows (see Packs).
    c10::IValue packed_for(int64_t rows) const;

    Int8Weights m_weights;
    c10::IValue m_packed;  ///< the backend's prepacked weights
    std::shared_ptr<Packs> m_packs;
};

/// Levels an activation is quantized to: 256 (uint8) where the CPU adds int8 products in int32
/// (AVX-512 VNNI, other architectures), 128 on x86 CPUs without it (their int16 sums would
/// saturate). The activation step is the input's range (0 included) / (levels - 1).
int64_t activation_levels();

/// The quantization engine the int8 layers run on ("onednn", "fbgemm", "qnnpack"), chosen
/// once from what this LibTorch offers; "" when it offers none.
std::string backend_name();

}  // namespace wb::engine::quant
