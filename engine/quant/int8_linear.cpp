// INT8 linear layers on LibTorch's quantized ops. Debian's LibTorch 1.13 has no FBGEMM and no
// C++ quantize_dynamic, but registers quantized::linear_prepack for its oneDNN engine; the
// packed weights then run dynamic int8 matmuls (AVX-512 VNNI where the CPU has it) through
// LinearPackedParamsBase::apply_dynamic, without the dispatcher's per-call overhead.
#include "engine/quant/int8_linear.h"

#include <map>
#include <mutex>
#include <stdexcept>

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

namespace wb::engine::quant {
namespace {

// Preference order: oneDNN measured fastest here (5.5x over fp32 at M=64, K=256, N=1024 on one
// thread, QNNPACK 1.0-1.4x); X86 and FBGEMM are what official x86 builds add.
c10::QEngine chosen_engine() {
    static const c10::QEngine engine = [] {
        const auto& supported = at::globalContext().supportedQEngines();
        for (auto e :
             {c10::QEngine::ONEDNN, c10::QEngine::X86, c10::QEngine::FBGEMM, c10::QEngine::QNNPACK})
            for (auto s : supported)
                if (s == e) return e;
        return c10::QEngine::NoQEngine;
    }();
    return engine;
}

// AVX2 and AVX-512 without VNNI multiply uint8 by int8 with vpmaddubsw, which adds two products
// into a saturating int16: full-range activations (2 * 255 * 127) overflow it, which measured
// errors of 20% of the output here (AMD EPYC, AVX2). 7-bit activations, what PyTorch's x86
// engines call reduce_range, keep 2 * 127 * 127 below 32767; VNNI's vpdpbusd adds in int32.
bool full_range_activations() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool vnni = __builtin_cpu_supports("avx512vnni");
    return vnni;
#else
    return true;
#endif
}

c10::intrusive_ptr<LinearPackedParamsBase> prepack(const Int8Weights& w) {
    const auto engine = chosen_engine();
    if (engine == c10::QEngine::NoQEngine)
        throw std::runtime_error(
            "this LibTorch has no quantization engine (supportedQEngines is empty): int8 needs a "
            "LibTorch built with oneDNN, FBGEMM or QNNPACK, such as Debian's libtorch-dev or an "
            "official x86 build");
    // The engine is process-wide state that prepack reads; set it under a lock so two threads
    // quantizing at once agree. The packed weights keep their engine, so forward needs none.
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    if (at::globalContext().qEngine() != engine) at::globalContext().setQEngine(engine);
    auto q =
        at::_make_per_channel_quantized_tensor(w.values.contiguous(), w.scales.to(torch::kDouble),
                                               torch::zeros({w.values.size(0)}, torch::kLong), 0);
    static auto op = c10::Dispatcher::singleton()
                         .findSchemaOrThrow("quantized::linear_prepack", "")
                         .typed<c10::intrusive_ptr<LinearPackedParamsBase>(
                             at::Tensor, c10::optional<at::Tensor>)>();
    c10::optional<at::Tensor> bias;
    if (w.bias.defined()) bias = w.bias.to(torch::kFloat32).contiguous();
    return op.call(q, bias);
}

// LibTorch 1.13's oneDNN packed weights keep one ready primitive, for the first input shape they
// see; every other shape takes a slower path on each call. Generation, whose window grows by a
// token per step, ran 1.3-1.4x slower than with a packed copy per shape (gpt-char, AMD EPYC,
// one thread). So each input row count gets its own copy (K * N bytes each) up to this many;
// further shapes share the first.
constexpr std::size_t kMaxPackedShapes = 64;

}  // namespace

struct Int8Linear::Packs {
    std::mutex mutex;
    std::map<int64_t, c10::IValue> by_rows;
};

Int8Weights quantize_weights(const torch::Tensor& weight, const torch::Tensor& bias) {
    TORCH_CHECK(weight.dim() == 2, "quantize_weights: a weight [N, K], got ", weight.sizes());
    torch::NoGradGuard no_grad;
    auto w = weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    auto scales = w.abs().amax(1) / 127.0;
    scales = torch::where(scales > 0, scales, torch::ones_like(scales));
    Int8Weights out;
    out.values = torch::round(w / scales.unsqueeze(1)).clamp(-127, 127).to(torch::kInt8);
    out.scales = scales;
    if (bias.defined()) out.bias = bias.detach().to(torch::kCPU, torch::kFloat32).clone();
    return out;
}

torch::Tensor dequantize(const Int8Weights& w) {
    return w.values.to(torch::kFloat32) * w.scales.unsqueeze(1);
}

Int8Linear::Int8Linear(Int8Weights weights) : m_weights(std::move(weights)) {
    TORCH_CHECK(m_weights.values.dim() == 2 && m_weights.values.scalar_type() == torch::kInt8,
                "Int8Linear: int8 values [N, K], got ", m_weights.values.sizes(), " ",
                m_weights.values.scalar_type());
    TORCH_CHECK(m_weights.scales.numel() == m_weights.values.size(0),
                "Int8Linear: one scale per output row");
    m_packed = c10::IValue(prepack(m_weights));
    m_packs = std::make_shared<Packs>();
}

c10::IValue Int8Linear::packed_for(int64_t rows) const {
    if (chosen_engine() != c10::QEngine::ONEDNN) return m_packed;
    std::lock_guard<std::mutex> lock(m_packs->mutex);
    auto it = m_packs->by_rows.find(rows);
    if (it != m_packs->by_rows.end()) return it->second;
    if (m_packs->by_rows.size() >= kMaxPackedShapes) return m_packed;
    return m_packs->by_rows.emplace(rows, c10::IValue(prepack(m_weights))).first->second;
}

torch::Tensor Int8Linear::forward(const torch::Tensor& x) const {
    TORCH_CHECK(x.size(-1) == in_features(), "Int8Linear: input width ", x.size(-1),
                ", the layer takes ", in_features());
    auto sizes = x.sizes().vec();
    auto flat = x.to(torch::kFloat32).reshape({-1, in_features()}).contiguous();
    auto y = packed_for(flat.size(0))
                 .toCustomClass<LinearPackedParamsBase>()
                 ->apply_dynamic(flat, !full_range_activations());
    sizes.back() = out_features();
    return y.view(sizes);
}

int64_t Int8Linear::bytes() const {
    int64_t n = m_weights.values.numel() + m_weights.scales.numel() * 4;
    if (m_weights.bias.defined()) n += m_weights.bias.numel() * 4;
    return n;
}

int64_t activation_levels() {
    return full_range_activations() ? 256 : 128;
}

std::string backend_name() {
    switch (chosen_engine()) {
        case c10::QEngine::ONEDNN:
            return "onednn";
        case c10::QEngine::X86:
            return "x86";
        case c10::QEngine::FBGEMM:
            return "fbgemm";
        case c10::QEngine::QNNPACK:
            return "qnnpack";
        default:
            return "";
    }
}

}  // namespace wb::engine::quant
