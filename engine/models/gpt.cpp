// GPT layers. Dropout draws from the generator the trainer hands the model (the run's own).
#include "engine/models/gpt.h"

#include <cmath>

#include "engine/models/cpu_gemm.h"
#include "engine/models/sparse_attention.h"

namespace wb::models {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

torch::Tensor SeededDropoutImpl::forward(const torch::Tensor& x) {
    if (!is_training() || p <= 0) return x;
    if (!generator) return F::dropout(x, F::DropoutFuncOptions().p(p).training(true));
    auto keep =
        torch::empty(x.sizes(), x.options().dtype(torch::kFloat32)).bernoulli_(1.0 - p, *generator);
    return x * keep.to(x.scalar_type()) * (1.0 / (1.0 - p));
}

CausalSelfAttentionImpl::CausalSelfAttentionImpl(int64_t width, int64_t heads_, double dropout,
                                                 api::AttentionPattern pattern_)
    : heads(heads_), head_dim(width / heads_), pattern(pattern_) {
    qkv = register_module("qkv", nn::Linear(width, 3 * width));
    proj = register_module("proj", nn::Linear(width, width));
    drop = register_module("drop", SeededDropout(dropout));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x) {
    const int64_t B = x.size(0), T = x.size(1), hd = head_dim, inner = heads * hd;
    auto parts = models::linear(x, qkv->weight, qkv->bias).split(inner, 2);
    auto q = parts[0].view({B, T, heads, hd}).transpose(1, 2);
    auto k = parts[1].view({B, T, heads, hd}).transpose(1, 2);
    auto v = parts[2].view({B, T, heads, hd}).transpose(1, 2);
    if (pattern.kind != api::AttentionPattern::Kind::Dense) {
        auto y =
            pattern_attention(q, k, v, pattern).transpose(1, 2).contiguous().view({B, T, inner});
        return drop->forward(models::linear(y, proj->weight, proj->bias));
    }
    auto att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hd)));
    auto mask =
        torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(x.device())).triu(1);
    att = torch::softmax(att.masked_fill(mask, -std::numeric_limits<float>::infinity()), -1);
    auto y = torch::matmul(att, v).transpose(1, 2).contiguous().view({B, T, inner});
    return drop->forward(models::linear(y, proj->weight, proj->bias));
}

GptBlockImpl::GptBlockImpl(int64_t width, int64_t heads, double dropout,
                           api::AttentionPattern pattern) {
    ln1 = register_module("ln1", nn::LayerNorm(nn::LayerNormOptions({width})));
    attn = register_module("attn", CausalSelfAttention(width, heads, dropout, pattern));
    ln2 = register_module("ln2", nn::LayerNorm(nn::LayerNormOptions({width})));
    mlp->push_back(nn::Linear(width, 4 * width));
    mlp->push_back(nn::GELU());
    mlp->push_back(nn::Linear(4 * width, width));
    mlp->push_back(SeededDropout(dropout));
    register_module("mlp", mlp);
}

torch::Tensor GptBlockImpl::forward(const torch::Tensor& x) {
    auto h = x + attn->forward(ln1->forward(x));
    // mlp holds Linear, GELU, Linear, Dropout (the module names checkpoints use); the Linear
    // layers go through linear() for the CPU GEMM choice.
    auto& fc1 = *mlp[0]->as<nn::Linear>();
    auto& fc2 = *mlp[2]->as<nn::Linear>();
    auto m = mlp[1]->as<nn::GELU>()->forward(models::linear(ln2->forward(h), fc1.weight, fc1.bias));
    return h + mlp[3]->as<SeededDropout>()->forward(models::linear(m, fc2.weight, fc2.bias));
}

GptImpl::GptImpl(const GptOptions& o) : context(o.context()) {
    tok = register_module("tok", nn::Embedding(o.vocab(), o.width()));
    pos = register_module("pos", nn::Embedding(o.context(), o.width()));
    drop = register_module("drop", SeededDropout(o.dropout()));
    for (int64_t i = 0; i < o.layers(); ++i)
        blocks->push_back(GptBlock(o.width(), o.heads(), o.dropout(), o.attention()));
    register_module("blocks", blocks);
    ln_f = register_module("ln_f", nn::LayerNorm(nn::LayerNormOptions({o.width()})));
    torch::NoGradGuard no_grad;
    for (auto& p : named_parameters()) {
        if (p.key().find("ln") != std::string::npos) continue;  // LayerNorm keeps 1/0
        if (p.key().size() >= 4 && p.key().substr(p.key().size() - 4) == "bias")
            nn::init::zeros_(p.value());
        else
            nn::init::normal_(p.value(), 0.0, 0.02);
    }
}

torch::Tensor GptImpl::forward(const torch::Tensor& ids) {
    return head(run_blocks(embed(ids), 0, static_cast<int64_t>(blocks->size())));
}

torch::Tensor GptImpl::embed(const torch::Tensor& ids) {
    const int64_t T = ids.size(1);
    auto positions =
        torch::arange(T, torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    return drop->forward(tok->forward(ids) + pos->forward(positions));
}

torch::Tensor GptImpl::run_blocks(torch::Tensor x, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
        x = blocks[static_cast<size_t>(i)]->as<GptBlock>()->forward(x);
    return x;
}

torch::Tensor GptImpl::head(const torch::Tensor& x) {
    // Tied head: the output projection reuses the token embedding (as in GPT-2 and nanoGPT).
    return models::linear(ln_f->forward(x), tok->weight);
}

void GptImpl::set_dropout_generator(const at::Generator& gen) {
    for (auto& m : modules())
        if (auto* d = m->as<SeededDropoutImpl>()) d->generator = gen;
}

torch::Tensor GptImpl::loss(const torch::Tensor& logits, const torch::Tensor& targets) const {
    // Softmax and log in fp32 also under autocast, where the logits may be bfloat16/float16.
    return F::cross_entropy(logits.to(torch::kFloat32).reshape({-1, logits.size(-1)}),
                            targets.reshape({-1}));
}

}  // namespace wb::models
