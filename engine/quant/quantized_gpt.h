// The GPT as an int8 inference model: every fully connected layer of its blocks and its tied
// output head in int8 (Int8Linear); the position embedding and LayerNorms in fp32. The token
// embedding is the head's int8 matrix (tied, as in the fp32 model), looked up dequantized.
// Built from a trained models::Gpt, written to and read from its own file.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/api/attention_pattern.h"
#include "engine/models/gpt.h"
#include "engine/quant/int8_linear.h"

namespace wb::engine::quant {

class QuantizedGpt {
public:
    /// Quantizes a copy of `gpt`'s weights (the head per vocabulary row); `gpt` is unchanged.
    explicit QuantizedGpt(const models::GptImpl& gpt);
    /// ids [B, T] (int64, T <= context) -> logits [B, T, vocab], fp32.
    torch::Tensor forward(const torch::Tensor& ids) const;

    /// Writes the model file atomically (int8 values and scales as int8/fp32 tensors, an index
    /// with the format version); throws std::runtime_error naming the path.
    void save(const std::string& path) const;
    /// Bytes of the file save() writes.
    int64_t file_bytes() const;
    /// Reads a file save() wrote; throws std::runtime_error naming the path and what is wrong
    /// (not such a file, a newer format, a missing tensor).
    static QuantizedGpt load(const std::string& path);

    int64_t vocab() const { return m_tok.size(0); }
    int64_t context() const { return m_pos.size(0); }
    int64_t width() const { return m_tok.size(1); }
    int64_t layers() const { return static_cast<int64_t>(m_blocks.size()); }

private:
    struct Norm {
        torch::Tensor weight, bias;
    };
    struct Block {
        Norm ln1, ln2;
        Int8Linear qkv, proj, fc1, fc2;
        int64_t heads = 0, head_dim = 0;
        api::AttentionPattern pattern;
    };
    QuantizedGpt() = default;
    torch::serialize::OutputArchive archive() const;
    torch::Tensor attention(const Block& b, const torch::Tensor& x) const;

    /// fp32 embeddings [vocab, width] (the head's weights dequantized), [context, width]
    torch::Tensor m_tok, m_pos;
    std::vector<Block> m_blocks;
    Norm m_ln_f;
    Int8Linear m_head;  ///< the token embedding as the output projection, int8 per row
};

}  // namespace wb::engine::quant
