// The memory estimate: parameter counts that mirror the engine's models (engine/models/*), and
// the activations each keeps for backward, counted in fp32 elements.
#include "engine/api/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "engine/api/grow_schedule.h"

namespace wb::api {
namespace {

constexpr int64_t kFloat = 4;
constexpr int64_t kByteVocab = 256;  ///< the text corpus is byte-level: at most 256 tokens
/// LibTorch, OpenBLAS/oneDNN buffers and the app itself, before any tensor.
constexpr int64_t kProcessBytes = int64_t{400} << 20;

// Weights, gradients and two optimizer moments (Adam's; SGD keeps fewer, so this errs high).
int64_t state_bytes(int64_t params) {
    return params * 4 * kFloat;
}

int64_t largest_batch(const RunConfig& c) {
    int64_t b = c.train.batch_size;
    if (c.model.kind == "progan")
        for (int64_t v : {c.progressive.batch_4, c.progressive.batch_8, c.progressive.batch_16,
                          c.progressive.batch_32})
            b = std::max(b, v);
    return b;
}

void gpt(const RunConfig& c, MemoryEstimate* e) {
    GptShape shape = initial_shape(c.model);
    for (const auto& stage : grow_stages(c))
        shape = {std::max(shape.layers, stage.shape.layers),
                 std::max(shape.width, stage.shape.width),
                 std::max(shape.heads, stage.shape.heads)};
    const int64_t d = shape.width, layers = shape.layers, heads = shape.heads;
    const int64_t s = c.model.context, b = largest_batch(c);
    // Tied embedding and head, positions, and per block: qkv, projection, a 4x MLP, two norms.
    e->parameters = kByteVocab * d + s * d + layers * (12 * d * d + 13 * d) + 2 * d;
    e->state_bytes = state_bytes(e->parameters);
    const int64_t keys = c.model.attention == "window" ? std::min(c.model.window, s) : s;
    // Per block: norms, q/k/v, attention output, projection, MLP in and out, residuals (about
    // 18 values per position and unit), plus the attention scores and their softmax.
    const int64_t per_block = 18 * b * s * d + 2 * b * heads * s * keys;
    e->activation_bytes = kFloat * (layers * per_block + 3 * b * s * kByteVocab + 2 * b * s * d);
}

// Weights plus bias of a conv (k x k) or dense layer.
int64_t layer(int64_t in, int64_t out, int64_t k = 1, bool bias = true) {
    return in * out * k * k + (bias ? out : 0);
}

// The conv image models at 32x32 (one channel, as Fashion-MNIST): their exact parameter counts,
// and their feature maps, each kept with its norm and activation for backward.
void image(const RunConfig& c, MemoryEstimate* e) {
    const int64_t w = c.model.width, z = c.model.latent_dim, b = largest_batch(c);
    const int64_t pack = std::max<int64_t>(c.gan.pack, 1);
    int64_t params = 0, features = 0;
    if (c.model.kind == "dcgan") {
        params = layer(z, 4 * w, 4, false) + layer(4 * w, 2 * w, 4, false) +
                 layer(2 * w, w, 4, false) + layer(w, 1, 4, false) + 2 * (4 * w + 2 * w + w);
        params += layer(pack, w, 4, false) + layer(w, 2 * w, 4, false) +
                  layer(2 * w, 4 * w, 4, false) + layer(4 * w, 1, 4, false) + 2 * (2 * w + 4 * w);
        features = 3 * (4 * w * 16 + 2 * w * 64 + w * 256 + 1024) * 3;  // G, D on real and fake
    } else if (c.model.kind == "progan") {
        // Blocks at 4, 8, 16 and 32 with 4w, 4w, 2w and w channels, two 3x3 convs each, and a
        // 1x1 to/from image per level; D's first block also sees the minibatch stddev.
        const int64_t ch[4] = {4 * w, 4 * w, 2 * w, w}, px[4] = {16, 64, 256, 1024};
        params = layer(z, ch[0] * 16) + layer(ch[0], ch[0], 3);                  // G, 4x4
        params += layer(ch[0] + (c.model.minibatch_stddev ? 1 : 0), ch[0], 3) +  // D, 4x4
                  layer(ch[0] * 16, ch[0]) + layer(ch[0], 1);
        for (int i = 0; i < 4; ++i) {
            if (i > 0) {
                params += layer(ch[i - 1], ch[i], 3) + layer(ch[i], ch[i], 3);  // G
                params += layer(ch[i], ch[i], 3) + layer(ch[i], ch[i - 1], 3);  // D
            }
            params += layer(ch[i], 1) + layer(pack, ch[i]);  // to and from the image
            features += 2 * ch[i] * px[i] * 3;
        }
        features *= 3;  // G, and D on real and fake
    } else {            // vae
        params = layer(1, w, 4) + layer(w, 2 * w, 4) + layer(2 * w, 4 * w, 4);
        params += 2 * layer(64 * w, z) + layer(z, 64 * w);
        params += layer(4 * w, 2 * w, 4) + layer(2 * w, w, 4) + layer(w, 1, 4);
        features = 2 * (w * 256 + 2 * w * 64 + 4 * w * 16) * 2 + 1024;
    }
    e->parameters = params;
    e->state_bytes = state_bytes(params);
    e->activation_bytes = kFloat * b * features;
    e->data_bytes = int64_t{70000} * 32 * 32 * kFloat;  // Fashion-MNIST, padded to 32x32
}

void mlp(const RunConfig& c, MemoryEstimate* e) {
    const int64_t w = c.model.width, layers = c.model.layers, b = largest_batch(c);
    const int64_t pack = std::max<int64_t>(c.gan.pack, 1);
    const int64_t g = layer(c.model.latent_dim, w) + (layers - 1) * layer(w, w) + layer(w, 2);
    const int64_t d = layer(2 * pack, w) + (layers - 1) * layer(w, w) + layer(w, 1);
    e->parameters = g + d;
    e->state_bytes = state_bytes(e->parameters);
    e->activation_bytes = kFloat * b * w * layers * 2 * 3 * 3;
}

std::string gib(int64_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
    return buf;
}

int64_t cgroup_limit() {
    std::ifstream f("/sys/fs/cgroup/memory.max");
    std::string v;
    if (!(f >> v) || v == "max") return 0;
    try {
        return std::stoll(v);
    } catch (...) {
        return 0;
    }
}

}  // namespace

int64_t MemoryEstimate::total_bytes() const {
    return kProcessBytes + state_bytes + activation_bytes + data_bytes;
}

MemoryEstimate estimate_memory(const RunConfig& c) {
    MemoryEstimate e;
    if (c.model.kind == "gpt")
        gpt(c, &e);
    else if (c.model.kind == "gan_mlp")
        mlp(c, &e);
    else
        image(c, &e);
    // Data parallel: every rank holds the model, its optimizer state and the data set; the
    // activations of the global batch are split over the ranks, so they add up to the same.
    // Hybrid: each replica of the pipeline holds what the pipeline's stages together hold.
    if (const int64_t copies = c.dist.replicas(c.dist.world_size); copies > 1) {
        e.state_bytes *= copies;
        e.data_bytes *= copies;
    }
    return e;
}

int64_t usable_memory_bytes() {
    int64_t usable = 0;
    const auto take = [&usable](int64_t v) {
        if (v > 0) usable = usable == 0 ? v : std::min(usable, v);
    };
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) take(static_cast<int64_t>(pages) * page);
    take(cgroup_limit());
    rlimit as{};
    if (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
        take(static_cast<int64_t>(as.rlim_cur));
    return usable;
}

std::vector<ConfigError> memory_problems(const RunConfig& c, int64_t usable_bytes) {
    if (usable_bytes <= 0 || c.device == "cuda") return {};
    const MemoryEstimate e = estimate_memory(c);
    if (e.total_bytes() <= usable_bytes) return {};
    return {{"train.batch_size",
             "this run needs about " + gib(e.total_bytes()) + " of memory (" +
                 gib(e.activation_bytes) + " of activations for a batch of " +
                 std::to_string(largest_batch(c)) + ", " + gib(e.state_bytes) + " for " +
                 std::to_string(e.parameters) +
                 " parameters with their gradients and optimizer state), more than the " +
                 gib(usable_bytes) +
                 " this machine allows; lower train.batch_size, model.width, model.layers or "
                 "model.context"}};
}

}  // namespace wb::api
