// The Sampler base (step count, coverage, state envelope), the uniform sampler and the factory.
#include "engine/data/sampler.h"

#include <cstring>
#include <stdexcept>

#include <torch/torch.h>

#include "engine/data/batch_sampler.h"
#include "engine/data/curriculum_sampler.h"
#include "engine/data/data_error.h"
#include "engine/data/hard_sampler.h"

namespace wb::engine::data {

namespace {

DataError damaged(const std::string& why) {
    return DataError("sampler state in the checkpoint is damaged (" + why +
                     "); restart the run from an earlier checkpoint or from scratch");
}

template <typename T>
nlohmann::json binary_of(const std::vector<T>& v) {
    std::vector<uint8_t> bytes(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(bytes.data(), v.data(), bytes.size());
    return nlohmann::json::binary(std::move(bytes));
}

template <typename T>
std::vector<T> from_binary(const nlohmann::json& j, int64_t count) {
    if (!j.is_binary()) throw damaged("an array is not binary");
    const auto& bytes = j.get_binary();
    if (bytes.size() != static_cast<size_t>(count) * sizeof(T))
        throw damaged("an array has " + std::to_string(bytes.size()) + " bytes, expected " +
                      std::to_string(static_cast<size_t>(count) * sizeof(T)));
    std::vector<T> v(static_cast<size_t>(count));
    if (count > 0) std::memcpy(v.data(), bytes.data(), bytes.size());
    return v;
}

/// Shuffled epochs: every example once per epoch, in an order fixed by the seed.
class UniformSampler final : public Sampler {
public:
    UniformSampler(int64_t n, uint64_t seed) : Sampler(n), m_epochs(n, seed) {}
    std::string kind() const override { return "uniform"; }

protected:
    SamplerBatch draw(int64_t batch) override {
        return {m_epochs.next(batch), torch::ones({batch}, torch::kFloat32)};
    }
    nlohmann::json own_state() const override { return m_epochs.state(); }
    void load_own_state(const nlohmann::json& state) override { m_epochs.load_state(state); }

private:
    EpochSampler m_epochs;
};

}  // namespace

nlohmann::json to_binary(const std::vector<double>& v) {
    return binary_of(v);
}
nlohmann::json to_binary(const std::vector<int64_t>& v) {
    return binary_of(v);
}
std::vector<double> doubles_from_binary(const nlohmann::json& j, int64_t count) {
    return from_binary<double>(j, count);
}
std::vector<int64_t> int64s_from_binary(const nlohmann::json& j, int64_t count) {
    return from_binary<int64_t>(j, count);
}

std::vector<double> to_doubles(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous().view({-1});
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

std::vector<int64_t> to_int64s(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kInt64).contiguous().view({-1});
    return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

Sampler::Sampler(int64_t n) : m_n(n) {
    if (n < 1)
        throw std::invalid_argument("Sampler: needs at least one example, got " +
                                    std::to_string(n));
    m_seen.assign(static_cast<size_t>(n), 0);
}

SamplerBatch Sampler::next(int64_t batch) {
    if (batch < 1)
        throw std::invalid_argument("Sampler::next: batch must be positive, got " +
                                    std::to_string(batch));
    SamplerBatch b = draw(batch);
    const int64_t* idx = b.indices.data_ptr<int64_t>();
    for (int64_t i = 0; i < batch; ++i) {
        uint8_t& seen = m_seen[static_cast<size_t>(idx[i])];
        m_seen_count += seen == 0;
        seen = 1;
    }
    ++m_steps;
    return b;
}

void Sampler::report(const torch::Tensor& indices, const torch::Tensor& losses) {
    const auto idx = to_int64s(indices);
    const auto loss = to_doubles(losses);
    if (idx.size() != loss.size())
        throw std::invalid_argument("Sampler::report: " + std::to_string(idx.size()) +
                                    " indices but " + std::to_string(loss.size()) + " losses");
    for (int64_t i : idx)
        if (i < 0 || i >= m_n)
            throw std::out_of_range("Sampler::report: index " + std::to_string(i));
    if (difficulty_from_losses() && !loss.empty()) {
        double sum = 0;
        for (double l : loss) sum += l;
        m_mean_difficulty = sum / static_cast<double>(loss.size());
    }
    on_report(idx.data(), loss.data(), static_cast<int64_t>(idx.size()));
}

void Sampler::on_report(const int64_t*, const double*, int64_t) {}

SamplerMetrics Sampler::metrics() const {
    return {pool_fraction(), m_mean_difficulty,
            static_cast<double>(m_seen_count) / static_cast<double>(m_n)};
}

std::vector<double> Sampler::score(const std::vector<int64_t>& indices) const {
    if (!m_scorer)
        throw std::logic_error("the " + kind() + " sampler needs a scorer from the trainer");
    auto t = torch::from_blob(const_cast<int64_t*>(indices.data()),
                              {static_cast<int64_t>(indices.size())}, torch::kInt64)
                 .clone();
    auto losses = to_doubles(m_scorer(t));
    if (losses.size() != indices.size())
        throw std::logic_error("the scorer returned " + std::to_string(losses.size()) +
                               " losses for " + std::to_string(indices.size()) + " examples");
    return losses;
}

nlohmann::json Sampler::state() const {
    return {{"kind", kind()},
            {"n", m_n},
            {"steps", m_steps},
            {"mean_difficulty", m_mean_difficulty},
            {"seen", nlohmann::json::binary(m_seen)},
            {"own", own_state()}};
}

void Sampler::load_state(const nlohmann::json& state) {
    std::string saved_kind;
    int64_t n = 0, steps = 0;
    double mean_difficulty = 0;
    std::vector<uint8_t> seen;
    try {
        saved_kind = state.at("kind").get<std::string>();
        n = state.at("n").get<int64_t>();
        steps = state.at("steps").get<int64_t>();
        mean_difficulty = state.at("mean_difficulty").get<double>();
        seen = state.at("seen").get_binary();
    } catch (const DataError&) {
        throw;
    } catch (const std::exception& e) {
        throw damaged(e.what());
    }
    if (saved_kind != kind())
        throw DataError("the checkpoint was trained with sampler.kind=" + saved_kind +
                        " but the run now asks for sampler.kind=" + kind() +
                        "; resume with sampler.kind=" + saved_kind + " or start a new run");
    if (n != m_n)
        throw DataError("the sampler state was saved for " + std::to_string(n) +
                        " examples but the data set now has " + std::to_string(m_n) +
                        "; resume with the data set (and model.context) the run was started with");
    if (steps < 0 || seen.size() != static_cast<size_t>(n)) throw damaged("bad step count or size");
    if (!state.contains("own")) throw damaged("no sampler-specific part");
    load_own_state(state.at("own"));
    m_steps = steps;
    m_mean_difficulty = mean_difficulty;
    m_seen = std::move(seen);
    m_seen_count = 0;
    for (uint8_t s : m_seen) m_seen_count += s != 0;
}

std::unique_ptr<Sampler> make_sampler(const SamplerOptions& o, int64_t n,
                                      const std::function<torch::Tensor()>& proxy) {
    if (o.kind == "uniform") return std::make_unique<UniformSampler>(n, o.seed);
    if (o.kind == "hard") return std::make_unique<HardSampler>(o, n);
    if (o.kind == "curriculum") {
        std::vector<double> scores;
        if (o.difficulty == "proxy") {
            scores = to_doubles(proxy());
            if (static_cast<int64_t>(scores.size()) != n)
                throw std::invalid_argument("make_sampler: the proxy gave " +
                                            std::to_string(scores.size()) + " scores for " +
                                            std::to_string(n) + " examples");
        }
        return std::make_unique<CurriculumSampler>(o, n, std::move(scores));
    }
    throw std::invalid_argument("make_sampler: unknown sampler kind '" + o.kind + "'");
}

}  // namespace wb::engine::data
