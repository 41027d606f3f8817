// The int8 GPT's forward pass (the same computation as models::GptImpl in eval mode, with the
// fully connected layers in int8) and its file: a LibTorch archive of named tensors.
#include "engine/quant/quantized_gpt.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "engine/export/model_files.h"
#include "engine/models/sparse_attention.h"

namespace wb::engine::quant {
namespace {

namespace nn = torch::nn;

constexpr const char* kFormat = "wb-int8-gpt";
constexpr int64_t kVersion = 1;

torch::Tensor fp32(const torch::Tensor& t) {
    return t.detach().to(torch::kCPU, torch::kFloat32).clone();
}

Int8Linear quantized(const nn::LinearImpl& l) {
    return Int8Linear(quantize_weights(l.weight, l.bias));
}

void write_linear(torch::serialize::OutputArchive& ar, const std::string& key,
                  const Int8Linear& l) {
    ar.write(key + ".values", l.weights().values, true);
    ar.write(key + ".scales", l.weights().scales, true);
    if (l.weights().bias.defined()) ar.write(key + ".bias", l.weights().bias, true);
}

// Reads fail with LibTorch's c10::Error; the caller adds the path.
torch::Tensor read_tensor(torch::serialize::InputArchive& ar, const std::string& key) {
    torch::Tensor t;
    if (!ar.try_read(key, t, true)) throw std::runtime_error("it has no tensor '" + key + "'");
    return t;
}

Int8Linear read_linear(torch::serialize::InputArchive& ar, const std::string& key) {
    Int8Weights w;
    w.values = read_tensor(ar, key + ".values");
    w.scales = read_tensor(ar, key + ".scales");
    ar.try_read(key + ".bias", w.bias, true);
    if (w.values.scalar_type() != torch::kInt8 || w.values.dim() != 2 ||
        w.scales.numel() != w.values.size(0))
        throw std::runtime_error("tensor '" + key + "' is not an int8 matrix with a scale per row");
    return Int8Linear(std::move(w));
}

int64_t read_int(torch::serialize::InputArchive& ar, const std::string& key) {
    c10::IValue v;
    if (!ar.try_read(key, v) || !v.isInt())
        throw std::runtime_error("it has no integer '" + key + "'");
    return v.toInt();
}

}  // namespace

QuantizedGpt::QuantizedGpt(const models::GptImpl& gpt) {
    torch::NoGradGuard no_grad;
    m_pos = fp32(gpt.pos->weight);
    m_ln_f = {fp32(gpt.ln_f->weight), fp32(gpt.ln_f->bias)};
    for (const auto& m : *gpt.blocks) {
        const auto& b = *m->as<models::GptBlockImpl>();
        Block q;
        q.ln1 = {fp32(b.ln1->weight), fp32(b.ln1->bias)};
        q.ln2 = {fp32(b.ln2->weight), fp32(b.ln2->bias)};
        q.qkv = quantized(*b.attn->qkv);
        q.proj = quantized(*b.attn->proj);
        // mlp holds Linear, GELU, Linear, Dropout (see GptBlockImpl).
        q.fc1 = quantized(*b.mlp->ptr(0)->as<nn::LinearImpl>());
        q.fc2 = quantized(*b.mlp->ptr(2)->as<nn::LinearImpl>());
        q.heads = b.attn->heads;
        q.head_dim = b.attn->head_dim;
        q.pattern = b.attn->pattern;
        m_blocks.push_back(std::move(q));
    }
    // Tied, as in the fp32 model: one int8 matrix is the head and, dequantized, the embedding
    // table, so the file holds it once.
    m_head = Int8Linear(quantize_weights(gpt.tok->weight));
    m_tok = dequantize(m_head.weights());
}

torch::Tensor QuantizedGpt::attention(const Block& b, const torch::Tensor& x) const {
    const int64_t B = x.size(0), T = x.size(1), hd = b.head_dim, inner = b.heads * hd;
    auto parts = b.qkv.forward(x).split(inner, 2);
    auto q = parts[0].view({B, T, b.heads, hd}).transpose(1, 2);
    auto k = parts[1].view({B, T, b.heads, hd}).transpose(1, 2);
    auto v = parts[2].view({B, T, b.heads, hd}).transpose(1, 2);
    torch::Tensor y;
    if (b.pattern.kind != api::AttentionPattern::Kind::Dense) {
        y = models::pattern_attention(q, k, v, b.pattern);
    } else {
        auto att =
            torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hd)));
        auto mask = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool)).triu(1);
        att = torch::softmax(att.masked_fill(mask, -std::numeric_limits<float>::infinity()), -1);
        y = torch::matmul(att, v);
    }
    return b.proj.forward(y.transpose(1, 2).contiguous().view({B, T, inner}));
}

torch::Tensor QuantizedGpt::forward(const torch::Tensor& ids) const {
    torch::NoGradGuard no_grad;
    const int64_t T = ids.size(1);
    TORCH_CHECK(T <= context(), "QuantizedGpt: ", T, " tokens, the model's context is ", context());
    const auto norm = [this](const torch::Tensor& x, const Norm& n) {
        return torch::layer_norm(x, {width()}, n.weight, n.bias, 1e-5);
    };
    auto x = m_tok.index_select(0, ids.reshape({-1})).view({ids.size(0), T, width()}) +
             m_pos.narrow(0, 0, T);
    for (const auto& b : m_blocks) {
        x = x + attention(b, norm(x, b.ln1));
        x = x + b.fc2.forward(torch::gelu(b.fc1.forward(norm(x, b.ln2))));
    }
    return m_head.forward(norm(x, m_ln_f));
}

void QuantizedGpt::save(const std::string& path) const {
    auto ar = archive();
    write_archive(ar, path);
}

int64_t QuantizedGpt::file_bytes() const {
    auto ar = archive();
    return archive_bytes(ar);
}

torch::serialize::OutputArchive QuantizedGpt::archive() const {
    torch::serialize::OutputArchive ar;
    ar.write("format", c10::IValue(std::string(kFormat)));
    ar.write("version", c10::IValue(kVersion));
    ar.write("layers", c10::IValue(layers()));
    ar.write("pos", m_pos, true);
    ar.write("ln_f.weight", m_ln_f.weight, true);
    ar.write("ln_f.bias", m_ln_f.bias, true);
    write_linear(ar, "head", m_head);
    for (int64_t i = 0; i < layers(); ++i) {
        const auto& b = m_blocks[static_cast<std::size_t>(i)];
        const std::string p = "blocks." + std::to_string(i) + ".";
        ar.write(p + "ln1.weight", b.ln1.weight, true);
        ar.write(p + "ln1.bias", b.ln1.bias, true);
        ar.write(p + "ln2.weight", b.ln2.weight, true);
        ar.write(p + "ln2.bias", b.ln2.bias, true);
        write_linear(ar, p + "qkv", b.qkv);
        write_linear(ar, p + "proj", b.proj);
        write_linear(ar, p + "fc1", b.fc1);
        write_linear(ar, p + "fc2", b.fc2);
        ar.write(p + "heads", c10::IValue(b.heads));
        ar.write(p + "head_dim", c10::IValue(b.head_dim));
        ar.write(p + "attention.kind", c10::IValue(static_cast<int64_t>(b.pattern.kind)));
        ar.write(p + "attention.window", c10::IValue(b.pattern.window));
        ar.write(p + "attention.block", c10::IValue(b.pattern.block));
        ar.write(p + "attention.summary", c10::IValue(b.pattern.summary));
        ar.write(p + "attention.global", c10::IValue(b.pattern.global));
    }
    return ar;
}

QuantizedGpt QuantizedGpt::load(const std::string& path) {
    torch::serialize::InputArchive ar;
    try {
        ar.load_from(path);
    } catch (const c10::Error& e) {
        throw std::runtime_error(path + " cannot be read as a model file (" +
                                 e.what_without_backtrace() + ")");
    }
    QuantizedGpt m;
    try {
        c10::IValue format;
        if (!ar.try_read("format", format) || !format.isString() || format.toStringRef() != kFormat)
            throw std::runtime_error("it is not an int8 GPT written by `workbench-cli quantize`");
        const int64_t version = read_int(ar, "version");
        if (version > kVersion)
            throw std::runtime_error("it has format version " + std::to_string(version) +
                                     ", newer than this build reads (" + std::to_string(kVersion) +
                                     "); update the workbench");
        m.m_pos = read_tensor(ar, "pos");
        m.m_ln_f = {read_tensor(ar, "ln_f.weight"), read_tensor(ar, "ln_f.bias")};
        m.m_head = read_linear(ar, "head");
        m.m_tok = dequantize(m.m_head.weights());
        const int64_t n = read_int(ar, "layers");
        for (int64_t i = 0; i < n; ++i) {
            const std::string p = "blocks." + std::to_string(i) + ".";
            Block b;
            b.ln1 = {read_tensor(ar, p + "ln1.weight"), read_tensor(ar, p + "ln1.bias")};
            b.ln2 = {read_tensor(ar, p + "ln2.weight"), read_tensor(ar, p + "ln2.bias")};
            b.qkv = read_linear(ar, p + "qkv");
            b.proj = read_linear(ar, p + "proj");
            b.fc1 = read_linear(ar, p + "fc1");
            b.fc2 = read_linear(ar, p + "fc2");
            b.heads = read_int(ar, p + "heads");
            b.head_dim = read_int(ar, p + "head_dim");
            const int64_t kind = read_int(ar, p + "attention.kind");
            if (kind < 0 || kind > static_cast<int64_t>(api::AttentionPattern::Kind::Block))
                throw std::runtime_error("block " + std::to_string(i) + " has attention kind " +
                                         std::to_string(kind) + ", which this build lacks");
            b.pattern.kind = static_cast<api::AttentionPattern::Kind>(kind);
            b.pattern.window = read_int(ar, p + "attention.window");
            b.pattern.block = read_int(ar, p + "attention.block");
            b.pattern.summary = read_int(ar, p + "attention.summary");
            b.pattern.global = read_int(ar, p + "attention.global");
            m.m_blocks.push_back(std::move(b));
        }
    } catch (const std::exception& e) {
        throw std::runtime_error(path + " is no usable int8 GPT: " + e.what());
    }
    return m;
}

}  // namespace wb::engine::quant
