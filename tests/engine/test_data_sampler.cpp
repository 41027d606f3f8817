#include <vector>

// Torch first: Qt's `slots` macro breaks torch headers included after it.
#include <torch/torch.h>
#include <QtTest>
#include <nlohmann/json.hpp>

#include "engine/data/batch_sampler.h"
#include "engine/data/data_error.h"

using wb::engine::data::DataError;
using wb::engine::data::EpochSampler;

namespace {

torch::Tensor draw(EpochSampler& sampler, int64_t batches, int64_t batch) {
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < batches; ++i) parts.push_back(sampler.next(batch));
    return torch::cat(parts);
}

bool is_permutation(const torch::Tensor& t, int64_t n) {
    return torch::equal(std::get<0>(t.sort()), torch::arange(n, torch::kInt64));
}

}  // namespace

class TestDataSampler final : public QObject {
    Q_OBJECT

private slots:
    void eachEpochIsPermutation();
    void batchSpansEpochs();
    void sameSeedSameSequence();
    void pinnedSequence();
    void resumeMidEpoch();
    void resumeAtEpochBoundary();
    void badStateRejected();
};

void TestDataSampler::eachEpochIsPermutation() {
    EpochSampler sampler(1000, 3);
    QCOMPARE(sampler.epoch(), 0);
    const torch::Tensor all = draw(sampler, 50, 100);  // 5 epochs
    QCOMPARE(sampler.epoch(), 5);
    QCOMPARE(sampler.position(), 0);
    for (int64_t e = 0; e < 5; ++e) {
        const torch::Tensor epoch = all.narrow(0, e * 1000, 1000);
        QVERIFY(is_permutation(epoch, 1000));
        QVERIFY(!torch::equal(epoch, torch::arange(1000, torch::kInt64)));
        if (e > 0) QVERIFY(!torch::equal(epoch, all.narrow(0, (e - 1) * 1000, 1000)));
    }
    QCOMPARE(all.scalar_type(), torch::kInt64);
}

void TestDataSampler::batchSpansEpochs() {
    EpochSampler sampler(10, 11);
    const torch::Tensor first = sampler.next(7);
    QCOMPARE(sampler.epoch(), 0);
    const torch::Tensor second = sampler.next(7);
    QCOMPARE(sampler.epoch(), 1);
    QCOMPARE(sampler.position(), 4);
    const torch::Tensor third = sampler.next(25);  // the rest of epoch 1, all of 2, 9 of 3
    QCOMPARE(sampler.epoch(), 3);
    QCOMPARE(sampler.position(), 9);
    const torch::Tensor all = torch::cat({first, second, third});
    for (int64_t e = 0; e < 3; ++e) QVERIFY(is_permutation(all.narrow(0, e * 10, 10), 10));
    QCOMPARE(std::get<0>(at::_unique(all.narrow(0, 30, 9))).numel(), 9);
    EpochSampler single(1, 5);
    QVERIFY(torch::equal(single.next(3), torch::zeros({3}, torch::kInt64)));
}

void TestDataSampler::sameSeedSameSequence() {
    EpochSampler a(257, 42);
    EpochSampler b(257, 42);
    EpochSampler c(257, 43);
    const torch::Tensor seq_a = draw(a, 40, 33);
    QVERIFY(torch::equal(seq_a, draw(b, 40, 33)));
    QVERIFY(!torch::equal(seq_a, draw(c, 40, 33)));
    // Torch's global generator plays no part.
    torch::manual_seed(0);
    EpochSampler d(257, 42);
    torch::manual_seed(99);
    QVERIFY(torch::equal(seq_a, draw(d, 40, 33)));
}

void TestDataSampler::pinnedSequence() {
    // mt19937_64 is fully specified by the standard and the shuffle avoids library-specific
    // distributions, so this sequence must hold on every platform and after refactors: runs
    // checkpointed by an older build resume identically.
    EpochSampler sampler(10, 2024);
    const torch::Tensor expected =
        torch::tensor({1, 3, 6, 0, 2, 8, 7, 5, 9, 4, 8, 7, 4, 1, 5, 9, 0, 2, 3, 6}, torch::kInt64);
    QVERIFY(torch::equal(sampler.next(20), expected));
}

void TestDataSampler::resumeMidEpoch() {
    EpochSampler original(100, 7);
    draw(original, 3, 37);  // 111 indices: epoch 1, position 11
    QCOMPARE(original.epoch(), 1);
    const std::string saved = original.state().dump();
    const torch::Tensor expected = draw(original, 12, 37);

    EpochSampler resumed(100, 12345);  // a different seed: load_state must replace everything
    resumed.load_state(nlohmann::json::parse(saved));
    QCOMPARE(resumed.epoch(), 1);
    QCOMPARE(resumed.position(), 11);
    QVERIFY(torch::equal(draw(resumed, 12, 37), expected));
    QCOMPARE(resumed.epoch(), original.epoch());
}

void TestDataSampler::resumeAtEpochBoundary() {
    EpochSampler original(50, 8);
    draw(original, 2, 50);
    const nlohmann::json saved = original.state();
    QCOMPARE(saved.at("position").get<int64_t>(), 0);
    const torch::Tensor expected = draw(original, 5, 30);
    EpochSampler resumed(50, 8);
    resumed.load_state(saved);
    QVERIFY(torch::equal(draw(resumed, 5, 30), expected));
}

void TestDataSampler::badStateRejected() {
    EpochSampler sampler(100, 1);
    EpochSampler other(99, 1);
    QVERIFY_THROWS_EXCEPTION(DataError, sampler.load_state(other.state()));
    nlohmann::json broken = sampler.state();
    broken["rng"] = "not numbers";
    QVERIFY_THROWS_EXCEPTION(DataError, sampler.load_state(broken));
    QVERIFY_THROWS_EXCEPTION(DataError, sampler.load_state(nlohmann::json::object()));
    nlohmann::json past_end = sampler.state();
    past_end["position"] = 100;
    QVERIFY_THROWS_EXCEPTION(DataError, sampler.load_state(past_end));
    // A rejected state leaves the sampler as it was.
    EpochSampler twin(100, 1);
    QVERIFY(torch::equal(sampler.next(64), twin.next(64)));
}

QTEST_GUILESS_MAIN(TestDataSampler)
#include "test_data_sampler.moc"
