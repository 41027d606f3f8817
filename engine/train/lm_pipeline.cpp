// The GPT's pipeline stages: the split, one step's micro-batches, the tied embedding and the
// exchanges that let rank 0 evaluate and checkpoint the whole model.
#include "engine/train/lm_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <sstream>

#include "engine/compat.h"

namespace wb::engine {

namespace {

// Tags of the point-to-point messages outside a step's micro-batches (pipeline.cpp uses
// 2 * micro + direction).
constexpr int kTieTag = 1 << 24;
constexpr int kStateTag = (1 << 24) + 2;

int64_t numel(const std::vector<torch::Tensor>& ts) {
    int64_t n = 0;
    for (const auto& t : ts) n += t.numel();
    return n;
}

std::string blocks_text(int64_t begin, int64_t end) {
    if (end - begin == 1) return "block " + std::to_string(begin);
    return "blocks " + std::to_string(begin) + "-" + std::to_string(end - 1);
}

}  // namespace

LmPipeline::LmPipeline(const api::RunConfig& config, dist::Collectives& comm, models::Gpt gpt,
                       torch::Device device, dist::Collectives* replicas)
    : m_comm(comm),
      m_replicas(replicas),
      m_gpt(std::move(gpt)),
      m_device(device),
      m_stage(comm, dist::parse_schedule(config.dist.schedule), device),
      m_micro(config.dist.micro_batches),
      m_balance(config.dist.balance),
      m_schedule(config.dist.schedule) {
    // Rank 0's costs for everyone: timings differ between processes, the split must not.
    const int64_t share = config.train.batch_size / (m_replicas ? m_replicas->world() : 1);
    auto costs = m_balance == "time" ? timed_costs(share / m_micro) : parameter_costs();
    auto shared = torch::tensor(costs, torch::kFloat64);
    std::vector<torch::Tensor> one{shared};
    m_comm.broadcast(one, 0);
    if (m_replicas) m_replicas->broadcast(one, 0);  // every replica splits alike
    costs.assign(shared.data_ptr<double>(), shared.data_ptr<double>() + shared.numel());
    m_bounds = dist::balanced_split(costs, m_stage.stages());
}

std::vector<double> LmPipeline::parameter_costs() const {
    const auto tok = m_gpt->tok->weight.numel();
    std::vector<double> c{static_cast<double>(tok + m_gpt->pos->weight.numel())};
    for (const auto& b : *m_gpt->blocks) c.push_back(static_cast<double>(numel(b->parameters())));
    // The head's work is the tied matrix's product with every position: count it again there.
    c.push_back(static_cast<double>(numel(m_gpt->ln_f->parameters()) + tok));
    return c;
}

// Forward plus backward of one micro-batch through each layer on its own, the fastest of three,
// in eval mode so that no dropout mask is drawn; the gradients are dropped afterwards.
std::vector<double> LmPipeline::timed_costs(int64_t micro_rows) {
    if (m_stage.stage() != 0) return std::vector<double>(m_gpt->blocks->size() + 2, 0.0);
    using Clock = std::chrono::steady_clock;
    const auto best_of_3 = [](const std::function<void()>& pass) {
        double best = 1e300;
        for (int rep = 0; rep < 4; ++rep) {  // the first is a warm-up
            const auto t0 = Clock::now();
            pass();
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (rep > 0) best = std::min(best, ms);
        }
        return best;
    };
    m_gpt->eval();
    const int64_t t = m_gpt->context, vocab = m_gpt->tok->weight.size(0);
    auto ids = (torch::arange(micro_rows * t, torch::kLong) % vocab).view({micro_rows, t});
    ids = ids.to(m_device);
    const auto h = m_gpt->embed(ids).detach();
    std::vector<double> c{best_of_3([&] { m_gpt->embed(ids).sum().backward(); })};
    for (int64_t i = 0; i < static_cast<int64_t>(m_gpt->blocks->size()); ++i)
        c.push_back(best_of_3([&] {
            auto in = h.clone().requires_grad_(true);
            m_gpt->run_blocks(in, i, i + 1).sum().backward();
        }));
    c.push_back(best_of_3([&] {
        auto in = h.clone().requires_grad_(true);
        torch::nn::functional::cross_entropy(m_gpt->head(in).view({-1, vocab}), ids.view({-1}))
            .backward();
    }));
    for (auto& p : m_gpt->parameters()) p.mutable_grad() = torch::Tensor();
    m_gpt->train();
    return c;
}

std::vector<torch::Tensor> LmPipeline::trained_by(int s) const {
    std::vector<torch::Tensor> out;
    if (s == 0) out = {m_gpt->tok->weight, m_gpt->pos->weight};
    for (int64_t i = m_bounds[s]; i < m_bounds[s + 1]; ++i)
        for (auto& p : m_gpt->blocks->ptr(static_cast<size_t>(i))->parameters()) out.push_back(p);
    if (s == m_stage.stages() - 1) {
        for (auto& p : m_gpt->ln_f->parameters()) out.push_back(p);
        if (s != 0) out.push_back(m_gpt->tok->weight);
    }
    return out;
}

std::vector<torch::Tensor> LmPipeline::shared_by(int s) const {
    auto out = trained_by(s);
    if (s != 0)
        out.erase(
            std::remove_if(out.begin(), out.end(),
                           [&](const torch::Tensor& p) { return p.is_same(m_gpt->tok->weight); }),
            out.end());
    return out;
}

torch::Tensor LmPipeline::train(const torch::Tensor& x, const torch::Tensor& y,
                                const torch::Tensor& weights, const amp::LossScaler& scaler,
                                const WindowLoss& loss, const Autocast& autocast) {
    const int64_t batch = x.size(0), rows = batch / m_micro;
    const int64_t begin = m_bounds[m_stage.stage()], end = m_bounds[m_stage.stage() + 1];
    std::vector<torch::Tensor> per_window(static_cast<size_t>(m_micro));
    const auto forward = [&](int i, const torch::Tensor& in) {
        torch::Tensor out;
        autocast([&] {
            auto h = m_stage.first() ? m_gpt->embed(x.narrow(0, i * rows, rows).to(m_device)) : in;
            h = m_gpt->run_blocks(h, begin, end);
            if (!m_stage.last()) {
                out = h;
                return;
            }
            auto l = loss(m_gpt->head(h), y.narrow(0, i * rows, rows).to(m_device));
            per_window[static_cast<size_t>(i)] = l.detach();
            // This micro-batch's share of the whole batch's weighted mean.
            const auto w = weights.narrow(0, i * rows, rows).to(l.device(), l.scalar_type());
            out = (l * w).sum() / static_cast<double>(batch);
        });
        return m_stage.last() ? scaler.scale(out) : out;
    };
    const int64_t width = m_gpt->tok->weight.size(1);
    m_times = m_stage.run(static_cast<int>(m_micro), {rows, x.size(1), width}, forward);
    tie_embedding_gradients();
    average_over_replicas();
    auto losses = m_stage.last() ? torch::cat(per_window).to(torch::kCPU, torch::kFloat32)
                                 : torch::empty({batch}, torch::kFloat32);
    std::vector<torch::Tensor> one{losses};
    m_comm.broadcast(one, m_stage.stages() - 1);
    return m_replicas ? m_replicas->all_gather(losses) : losses;
}

// Each replica's loss is the weighted mean over its share, so the mean of the replicas'
// gradients is the global batch's: the same step one pipeline takes on the whole batch.
void LmPipeline::average_over_replicas() {
    if (!m_replicas) return;
    std::vector<torch::Tensor> grads;
    for (auto& p : trained_by(m_stage.stage()))
        if (p.grad().defined()) grads.push_back(p.mutable_grad());
    m_replicas->all_reduce_sum(grads);
    const double n = m_replicas->world();
    for (auto& g : grads) g.div_(n);
}

// The tied matrix gets gradient from the embedding (first stage) and from the head (last
// stage): each sends its part to the other and adds the other's, so both hold the sum and
// their optimizers take the same step.
void LmPipeline::tie_embedding_gradients() {
    if (!m_stage.first() && !m_stage.last()) return;
    auto g = m_gpt->tok->weight.grad();
    const int peer = m_stage.first() ? m_stage.stages() - 1 : 0;
    auto theirs = torch::empty_like(g);
    auto sent = m_comm.send_async(g.clone(), peer, kTieTag);
    m_comm.recv_async(theirs, peer, kTieTag)();
    sent();
    g.add_(theirs);
}

double LmPipeline::whole_norm(double local) {
    double sq = local * local;
    if (m_stage.last() && std::isfinite(sq)) {
        const auto g = m_gpt->tok->weight.grad();
        const double tied = g.norm().item<double>();
        sq = std::max(0.0, sq - tied * tied);  // the first stage counts it
    }
    std::vector<torch::Tensor> one{torch::full({1}, sq, torch::kFloat64)};
    m_comm.all_reduce_sum(one);
    return std::sqrt(one[0].item<double>());
}

std::pair<double, int64_t> LmPipeline::step_figures() {
    const int p = m_stage.stages(), s = m_stage.stage();
    auto v = torch::zeros({2 * p}, torch::kFloat64);
    v[s] = m_times.bubble();
    v[p + s] = static_cast<double>(m_times.activation_bytes);
    std::vector<torch::Tensor> one{v};
    m_comm.all_reduce_sum(one);
    return {v.narrow(0, 0, p).mean().item<double>(),
            static_cast<int64_t>(v.narrow(0, p, p).max().item<double>())};
}

void LmPipeline::share_weights() {
    if (!assembles()) return;
    torch::NoGradGuard no_grad;
    for (int s = 0; s < m_stage.stages(); ++s) {
        auto mine = shared_by(s);
        std::vector<torch::Tensor> data;
        for (auto& p : mine) data.push_back(p.data());
        m_comm.broadcast(data, s);
    }
}

void LmPipeline::gather_optimizer_state(torch::optim::Optimizer& optimizer) {
    if (!assembles()) return;
    for (int s = 1; s < m_stage.stages(); ++s) {
        if (m_stage.stage() == s) {
            torch::serialize::OutputArchive archive;
            optimizer.save(archive);
            std::ostringstream bytes;
            archive.save_to(bytes);
            const std::string text = bytes.str();
            auto size = torch::full({1}, static_cast<int64_t>(text.size()), torch::kInt64);
            auto payload = torch::from_blob(const_cast<char*>(text.data()),
                                            {static_cast<int64_t>(text.size())}, torch::kUInt8);
            auto a = m_comm.send_async(size, 0, kStateTag);
            auto b = m_comm.send_async(payload, 0, kStateTag + 1);
            a(), b();
        } else if (m_stage.stage() == 0) {
            auto size = torch::empty({1}, torch::kInt64);
            m_comm.recv_async(size, s, kStateTag)();
            auto payload = torch::empty({size.item<int64_t>()}, torch::kUInt8);
            m_comm.recv_async(payload, s, kStateTag + 1)();
            std::istringstream bytes(std::string(reinterpret_cast<const char*>(payload.data_ptr()),
                                                 static_cast<size_t>(payload.numel())));
            torch::serialize::InputArchive archive;
            archive.load_from(bytes);
            optimizer.load(archive);  // adds stage s's parameters' state, keeps the rest
        }
    }
}

void LmPipeline::drop_foreign_state(torch::optim::Optimizer& optimizer) {
    std::set<const void*> mine;
    for (const auto& p : trained_by(m_stage.stage())) mine.insert(p.unsafeGetTensorImpl());
    auto& state = optimizer.state();
    for (auto& group : optimizer.param_groups())
        for (auto& p : group.params())
            if (!mine.count(p.unsafeGetTensorImpl())) state.erase(compat::optimizer_state_key(p));
}

std::string LmPipeline::describe() const {
    const int s = m_stage.stage(), p = m_stage.stages();
    std::string parts;
    if (m_stage.first()) parts = "the embeddings and ";
    parts += blocks_text(m_bounds[s], m_bounds[s + 1]);
    if (m_stage.last()) parts += " and the head";
    const int64_t total = numel(m_gpt->parameters());
    const std::string replica = m_replicas ? " of replica " + std::to_string(m_replicas->rank()) +
                                                 " of " + std::to_string(m_replicas->world())
                                           : "";
    return "pipeline stage " + std::to_string(s) + " of " + std::to_string(p) + replica + " (" +
           m_schedule + ", " + std::to_string(m_micro) + " micro-batches): " + parts + ", " +
           std::to_string(numel(trained_by(s))) + " of the " + std::to_string(total) +
           " parameters; split by " + (m_balance == "time" ? "measured time" : "parameters");
}

}  // namespace wb::engine
