// Window and block-sparse attention as blocked products (see sparse_attention.h).
#include "engine/models/sparse_attention.h"

#include <cmath>
#include <limits>

namespace wb::models {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// Pads dim 2 (time) of [B, H, T, D] with zeros to `to` positions.
torch::Tensor pad_time(const torch::Tensor& x, int64_t to) {
    const int64_t pad = to - x.size(2);
    return pad > 0 ? torch::constant_pad_nd(x, {0, 0, 0, pad}) : x;
}

torch::TensorOptions bool_on(const torch::Tensor& like) {
    return torch::TensorOptions().dtype(torch::kBool).device(like.device());
}

// Chunks of w queries; chunk c scores the keys of chunks c-1 and c ([2w]); query a of a chunk
// keeps key b of that pair when a < b <= a + w (its own and the w - 1 positions before it).
torch::Tensor window_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, int64_t w) {
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
    const int64_t n = (T + w - 1) / w, Tp = n * w;
    auto qc = pad_time(q, Tp).view({B, H, n, w, D});
    auto pair = [&](const torch::Tensor& x) {
        auto c = pad_time(x, Tp).view({B, H, n, w, D});
        auto prev = torch::cat({torch::zeros_like(c.narrow(2, 0, 1)), c.narrow(2, 0, n - 1)}, 2);
        return torch::cat({prev, c}, 3);  // [B, H, n, 2w, D]
    };
    auto k2 = pair(k), v2 = pair(v);
    auto a = torch::arange(w, q.options().dtype(torch::kLong)).unsqueeze(1);
    auto b = torch::arange(2 * w, q.options().dtype(torch::kLong)).unsqueeze(0);
    auto keep = ((b > a) & (b <= a + w)).unsqueeze(0).repeat({n, 1, 1});  // [n, w, 2w]
    keep[0].logical_and_(b >= w);  // chunk 0 has no previous chunk
    auto scores = torch::matmul(qc, k2.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));
    auto att = torch::softmax(scores.masked_fill(keep.logical_not(), kMinusInf), -1);
    return torch::matmul(att, v2).view({B, H, Tp, D}).narrow(2, 0, T);
}

// Blocks of l queries against their own block (causal), the last `summary` keys of every
// earlier block and the first `global` keys where no other part has them already.
torch::Tensor block_attention(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const api::AttentionPattern& p) {
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3), l = p.block;
    const int64_t n = (T + l - 1) / l, Tp = n * l;
    const int64_t c = n > 1 ? p.summary : 0, g = std::min(p.global, T);
    auto blocks = [&](const torch::Tensor& x) { return pad_time(x, Tp).view({B, H, n, l, D}); };
    auto qb = blocks(q), kb = blocks(k), vb = blocks(v);
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    auto longs = q.options().dtype(torch::kLong);
    auto qblock = torch::arange(n, longs).view({n, 1, 1});

    std::vector<torch::Tensor> scores, keeps, values;
    scores.push_back(torch::matmul(qb, kb.transpose(-2, -1)) * scale);  // [B, H, n, l, l]
    keeps.push_back(torch::ones({l, l}, bool_on(q)).tril().expand({n, l, l}));
    values.push_back(vb);
    if (c > 0) {
        auto ks = kb.narrow(3, l - c, c).reshape({B, H, 1, n * c, D});
        scores.push_back(torch::matmul(qb, ks.transpose(-2, -1)) * scale);  // [B, H, n, l, n*c]
        auto kblock = torch::arange(n * c, longs).div(c, "floor").view({1, 1, n * c});
        keeps.push_back((kblock < qblock).expand({n, l, n * c}));
        values.push_back(vb.narrow(3, l - c, c).reshape({B, H, 1, n * c, D}));
    }
    if (g > 0) {
        auto kg = k.narrow(2, 0, g).unsqueeze(2);  // [B, H, 1, g, D]
        scores.push_back(torch::matmul(qb, kg.transpose(-2, -1)) * scale);
        auto j = torch::arange(g, longs).view({1, 1, g});
        keeps.push_back(((j < qblock * l) & (j.remainder(l) < l - c)).expand({n, l, g}));
        values.push_back(v.narrow(2, 0, g).unsqueeze(2));
    }
    auto all = torch::cat(scores, -1);
    auto keep = torch::cat(keeps, -1);
    auto att = torch::softmax(all.masked_fill(keep.logical_not(), kMinusInf), -1);
    torch::Tensor y;
    int64_t at = 0;
    for (size_t i = 0; i < values.size(); ++i) {
        const int64_t width = scores[i].size(-1);
        auto part = torch::matmul(att.narrow(-1, at, width), values[i]);
        y = i == 0 ? part : y + part;
        at += width;
    }
    return y.view({B, H, Tp, D}).narrow(2, 0, T);
}

}  // namespace

torch::Tensor pattern_attention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, const api::AttentionPattern& pattern) {
    using Kind = api::AttentionPattern::Kind;
    if (pattern.kind == Kind::Window) return window_attention(q, k, v, pattern.window);
    if (pattern.kind == Kind::Block) return block_attention(q, k, v, pattern);
    return masked_dense_attention(q, k, v, pattern);
}

torch::Tensor masked_dense_attention(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const api::AttentionPattern& pattern) {
    const int64_t T = q.size(2);
    torch::Tensor keep;
    if (pattern.kind == api::AttentionPattern::Kind::Dense) {
        keep = torch::ones({T, T}, bool_on(q)).tril();
    } else {
        auto bytes = pattern.mask(T);
        keep =
            torch::from_blob(bytes.data(), {T, T}, torch::kUInt8).to(torch::kBool).to(q.device());
    }
    auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(3)));
    att = torch::softmax(att.masked_fill(keep.logical_not(), kMinusInf), -1);
    return torch::matmul(att, v);
}

}  // namespace wb::models
