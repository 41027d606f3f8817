// A character-level GPT in the spirit of nanoGPT: causal self-attention, pre-LayerNorm blocks,
// learned positions and a tied output head.
#pragma once

#include <optional>

#include <torch/torch.h>

#include "engine/api/attention_pattern.h"

namespace wb::models {

/// Dropout that draws its masks from a generator the owner hands it (a run's own), so runs that
/// train at the same time stay reproducible from their seeds; LibTorch's Dropout draws from the
/// one global generator. Without a generator set it uses the global one, like LibTorch's.
struct SeededDropoutImpl : torch::nn::Module {
    explicit SeededDropoutImpl(double p) : p(p) {}
    torch::Tensor forward(const torch::Tensor& x);
    double p;
    std::optional<at::Generator> generator;
};
TORCH_MODULE(SeededDropout);

struct GptOptions {
    GptOptions(int64_t vocab, int64_t context, int64_t width, int64_t layers, int64_t heads)
        : vocab_(vocab), context_(context), width_(width), layers_(layers), heads_(heads) {}
    /// Distinct tokens (characters).
    TORCH_ARG(int64_t, vocab);
    /// Longest sequence the positions cover.
    TORCH_ARG(int64_t, context);
    /// Embedding size.
    TORCH_ARG(int64_t, width);
    /// Transformer blocks.
    TORCH_ARG(int64_t, layers);
    /// Attention heads; must divide width.
    TORCH_ARG(int64_t, heads);
    /// Dropout on attention output and MLP output while training.
    TORCH_ARG(double, dropout) = 0.0;
    /// Which earlier positions each position attends to (dense: all).
    TORCH_ARG(api::AttentionPattern, attention);
};

struct CausalSelfAttentionImpl : torch::nn::Module {
    CausalSelfAttentionImpl(int64_t width, int64_t heads, double dropout,
                            api::AttentionPattern pattern = {});
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Linear qkv{nullptr}, proj{nullptr};
    SeededDropout drop{nullptr};
    int64_t heads;
    /// Fixed at construction; channel pruning removes whole heads, so heads * head_dim can
    /// become smaller than the width.
    int64_t head_dim;
    api::AttentionPattern pattern;
};
TORCH_MODULE(CausalSelfAttention);

struct GptBlockImpl : torch::nn::Module {
    GptBlockImpl(int64_t width, int64_t heads, double dropout, api::AttentionPattern pattern = {});
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
    CausalSelfAttention attn{nullptr};
    torch::nn::Sequential mlp;
};
TORCH_MODULE(GptBlock);

struct GptImpl : torch::nn::Module {
    explicit GptImpl(const GptOptions& o);
    /// ids [B, T] -> logits [B, T, vocab]: head(run_blocks(embed(ids), 0, layers)).
    torch::Tensor forward(const torch::Tensor& ids);
    /// The parts a pipeline splits the model into (engine/train/lm_pipeline.h). Token plus
    /// position embeddings, with dropout: ids [B, T] -> [B, T, width].
    torch::Tensor embed(const torch::Tensor& ids);
    /// Blocks [begin, end) on x [B, T, width].
    torch::Tensor run_blocks(torch::Tensor x, int64_t begin, int64_t end);
    /// The final LayerNorm and the tied head: [B, T, width] -> logits [B, T, vocab].
    torch::Tensor head(const torch::Tensor& x);
    /// Mean cross-entropy of predicting `targets` [B, T].
    torch::Tensor loss(const torch::Tensor& logits, const torch::Tensor& targets) const;
    /// Every dropout layer draws from `gen` from now on (a generator on the model's device).
    void set_dropout_generator(const at::Generator& gen);

    torch::nn::Embedding tok{nullptr}, pos{nullptr};
    torch::nn::ModuleList blocks;
    torch::nn::LayerNorm ln_f{nullptr};
    SeededDropout drop{nullptr};
    int64_t context;
};
TORCH_MODULE(Gpt);

}  // namespace wb::models
