// The samplers' statistics against closed-form probabilities, the curriculum's pool schedule,
// and reproducibility under a seed and across a checkpoint (state -> CBOR -> load).
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <vector>

// Torch first: Qt's `slots` macro breaks torch headers included after it.
#include <torch/torch.h>
#include <QtTest>
#include <nlohmann/json.hpp>

#include "engine/data/curriculum_sampler.h"
#include "engine/data/data_error.h"
#include "engine/data/hard_sampler.h"
#include "engine/data/sampler.h"
#include "engine/data/sum_tree.h"

using namespace wb::engine::data;

namespace {

std::vector<int64_t> ids(const torch::Tensor& t) {
    return to_int64s(t);
}

SamplerOptions hard_options(double alpha, double mix, double beta = 0) {
    SamplerOptions o;
    o.kind = "hard";
    o.seed = 17;
    o.alpha = alpha;
    o.uniform_mix = mix;
    o.beta = beta;
    return o;
}

SamplerOptions curriculum_options(const std::string& pacing, double start, int64_t full) {
    SamplerOptions o;
    o.kind = "curriculum";
    o.seed = 5;
    o.pacing = pacing;
    o.start_fraction = start;
    o.full_at_step = full;
    o.stages = 4;
    return o;
}

void report_all(Sampler& s, const std::vector<double>& losses) {
    const auto n = static_cast<int64_t>(losses.size());
    s.report(torch::arange(n, torch::kInt64), torch::tensor(losses, torch::kFloat64));
}

std::vector<int64_t> counts(Sampler& s, int64_t steps, int64_t batch) {
    std::vector<int64_t> c(static_cast<size_t>(s.size()), 0);
    for (int64_t i = 0; i < steps; ++i)
        for (int64_t j : ids(s.next(batch).indices)) ++c[static_cast<size_t>(j)];
    return c;
}

// A loss that depends on the example and on how long training has run, like a real one.
torch::Tensor fake_losses(const torch::Tensor& indices, int64_t step) {
    return (indices.to(torch::kFloat64) * 37 + 11).remainder(23) / (1.0 + 0.01 * step) + 0.5;
}

// Draws `steps` steps, reporting fake losses after each; returns indices and weights.
std::pair<torch::Tensor, torch::Tensor> run(Sampler& s, int64_t steps, int64_t batch) {
    std::vector<torch::Tensor> idx, w;
    for (int64_t i = 0; i < steps; ++i) {
        auto b = s.next(batch);
        s.report(b.indices, fake_losses(b.indices, s.steps()));
        idx.push_back(b.indices);
        w.push_back(b.weights);
    }
    return {torch::cat(idx), torch::cat(w)};
}

nlohmann::json through_checkpoint(const Sampler& s) {
    return nlohmann::json::from_cbor(nlohmann::json::to_cbor(s.state()));
}

}  // namespace

class TestDataSamplers final : public QObject {
    Q_OBJECT

private slots:
    void sumTreeMatchesBruteForce();
    void hardDrawsInProportionToScoreAlpha();
    void hardKeepsEveryExampleReachable();
    void hardTreatsUnscoredAsAverage();
    void hardImportanceWeights();
    void hardRescoresStaleExamples();
    void pacingFunctions();
    void curriculumStaysInPoolAndReachesAll();
    void curriculumRanksByScoringPass();
    void uniformCoversEachEpoch();
    void reproducibleUnderSeedAndResume_data();
    void reproducibleUnderSeedAndResume();
    void foreignStateRejected();
};

void TestDataSamplers::sumTreeMatchesBruteForce() {
    SumTree tree(13);
    std::vector<double> w(13, 0.0);
    QCOMPARE(tree.find(0.5), int64_t{-1});
    QVERIFY(std::isinf(tree.min()));
    const double values[] = {3, 0, 1.5, 0.25, 7, 0, 0, 2, 0.5, 1, 4, 0, 0.75};
    for (int64_t i = 0; i < 13; ++i) {
        tree.set(i, values[i]);
        w[static_cast<size_t>(i)] = values[i];
    }
    tree.set(4, 0.0);  // updates replace, and zero removes from min and selection
    w[4] = 0.0;
    double total = 0;
    for (double v : w) total += v;
    QCOMPARE(tree.total(), total);
    QCOMPARE(tree.min(), 0.25);
    // find(m) is the first leaf whose running sum exceeds m; zero leaves are never returned.
    for (double m = 0; m < total; m += 0.05) {
        double run = 0;
        int64_t expect = -1;
        for (int64_t i = 0; i < 13 && expect < 0; ++i) {
            run += w[static_cast<size_t>(i)];
            if (m < run) expect = i;
        }
        QCOMPARE(tree.find(m), expect);
    }
    QCOMPARE(tree.find(total), int64_t{12});  // clamped to the last non-zero leaf
    QCOMPARE(tree.find(1e9), int64_t{12});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, tree.set(0, -1.0));
}

void TestDataSamplers::hardDrawsInProportionToScoreAlpha() {
    // Scores 1..10, alpha 0.5, uniform_mix 0.25: P(i) = 0.25/10 + 0.75 sqrt(i+1) / sum sqrt.
    const int64_t n = 10;
    auto s = make_sampler(hard_options(0.5, 0.25), n, {});
    std::vector<double> scores;
    for (int64_t i = 0; i < n; ++i) scores.push_back(static_cast<double>(i + 1));
    report_all(*s, scores);
    double sum_sqrt = 0;
    for (double v : scores) sum_sqrt += std::sqrt(v + 1e-6);
    const int64_t draws = 4000 * 50;
    const auto c = counts(*s, 4000, 50);
    for (int64_t i = 0; i < n; ++i) {
        const double p = 0.025 + 0.75 * std::sqrt(scores[i] + 1e-6) / sum_sqrt;
        QVERIFY(std::fabs(dynamic_cast<HardSampler&>(*s).probability(i) - p) < 1e-12);
        const double expected = p * draws;
        const double sigma = std::sqrt(draws * p * (1 - p));
        QVERIFY2(std::fabs(static_cast<double>(c[i]) - expected) < 5 * sigma,
                 qPrintable(
                     QString("example %1: %2 draws, expected %3").arg(i).arg(c[i]).arg(expected)));
    }
    // The hardest example comes up about sqrt(10) times as often as the easiest, minus the mix.
    QVERIFY(c[9] > 2 * c[0]);
}

void TestDataSamplers::hardKeepsEveryExampleReachable() {
    const int64_t n = 20;
    auto s = make_sampler(hard_options(1.0, 0.2), n, {});
    std::vector<double> scores(n, 0.0);
    scores[7] = 1000;  // one very hard example, every other one learnt perfectly
    report_all(*s, scores);
    auto& hard = dynamic_cast<HardSampler&>(*s);
    for (int64_t i = 0; i < n; ++i) QVERIFY(hard.probability(i) >= 0.2 / n);
    const auto c = counts(*s, 1000, 20);
    for (int64_t i = 0; i < n; ++i) QVERIFY2(c[i] > 0, qPrintable(QString::number(i)));
    // The mix's 20% is spread evenly; the rest goes to example 7.
    QVERIFY(std::fabs(c[7] / 20000.0 - (0.01 + 0.8)) < 0.02);
    QCOMPARE(s->metrics().unique_seen, 1.0);
}

void TestDataSamplers::hardTreatsUnscoredAsAverage() {
    // 6 of 12 scored with one large score: the unscored half keeps exactly half of the draws.
    const int64_t n = 12;
    auto s = make_sampler(hard_options(1.0, 0.0), n, {});
    s->report(torch::arange(6, torch::kInt64),
              torch::tensor({50.0, 1.0, 1.0, 1.0, 1.0, 1.0}, torch::kFloat64));
    auto& hard = dynamic_cast<HardSampler&>(*s);
    double unscored = 0;
    for (int64_t i = 6; i < n; ++i) unscored += hard.probability(i);
    QVERIFY(std::fabs(unscored - 0.5) < 1e-12);
    QVERIFY(std::fabs(hard.probability(0) - 0.5 * 50 / 55) < 1e-7);
    // Draws from the sampler itself, reporting nothing so the scores stay put.
    const auto c = counts(*s, 2000, 10);
    int64_t unscored_draws = 0;
    for (int64_t i = 6; i < n; ++i) unscored_draws += c[static_cast<size_t>(i)];
    QVERIFY(std::fabs(unscored_draws / 20000.0 - 0.5) < 0.02);
}

void TestDataSamplers::hardImportanceWeights() {
    const int64_t n = 4;
    auto s = make_sampler(hard_options(1.0, 0.2, /*beta=*/0.5), n, {});
    report_all(*s, {1, 2, 3, 6});
    // P(i) = 0.05 + 0.8 s_i / 12; w_i = (n P_i)^-0.5 / (n P_min)^-0.5, P_min = P(0).
    auto p = [](double score) { return 0.05 + 0.8 * (score + 1e-6) / (12 + 4e-6); };
    const double scores[] = {1, 2, 3, 6};
    auto b = s->next(64);
    const auto idx = ids(b.indices);
    for (int64_t j = 0; j < 64; ++j) {
        const double expected = std::pow(p(scores[idx[j]]) / p(1), -0.5);
        QVERIFY(std::fabs(b.weights[j].item<double>() - expected) < 1e-6);
    }
    QVERIFY(b.weights.max().item<double>() <= 1.0 + 1e-6);
    // beta 0: all weights are 1.
    auto plain = make_sampler(hard_options(1.0, 0.2), n, {});
    report_all(*plain, {1, 2, 3, 6});
    QVERIFY(torch::equal(plain->next(16).weights, torch::ones({16})));
}

void TestDataSamplers::hardRescoresStaleExamples() {
    const int64_t n = 30;
    auto o = hard_options(1.0, 0.1);
    o.rescore_every = 5;
    o.stale_after = 4;
    auto s = make_sampler(o, n, {});
    std::vector<std::vector<int64_t>> asked;
    s->set_scorer([&](const torch::Tensor& indices) {
        asked.push_back(ids(indices));
        return torch::full({indices.size(0)}, 0.25, torch::kFloat32);
    });
    report_all(*s, std::vector<double>(n, 2.0));  // all scored at step 0
    for (int i = 0; i < 5; ++i) s->next(8);       // steps 0..4: no round at step 0
    QVERIFY(asked.empty());
    s->next(8);  // step 5: every score is 5 steps old, so one batch (8) of them is re-scored
    QCOMPARE(asked.size(), std::size_t{1});
    QCOMPARE(asked[0], (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    auto& hard = dynamic_cast<HardSampler&>(*s);
    QCOMPARE(hard.rescored(), int64_t{8});
    // Re-scored examples got the scorer's loss: their priority fell from 2 to 0.25.
    QVERIFY(hard.probability(0) < hard.probability(20));
    for (int i = 0; i < 4; ++i) s->next(8);
    s->next(8);  // step 10: the search continues after the last round
    QCOMPARE(asked.size(), std::size_t{2});
    QCOMPARE(asked[1].front(), int64_t{8});
    // Without a scorer, a sampler that must re-score says so instead of guessing.
    auto lonely = make_sampler(o, n, {});
    report_all(*lonely, std::vector<double>(n, 2.0));
    for (int i = 0; i < 5; ++i) lonely->next(8);
    QVERIFY_THROWS_EXCEPTION(std::logic_error, lonely->next(8));
}

void TestDataSamplers::pacingFunctions() {
    QCOMPARE(pacing_fraction("linear", 0.2, 100, 4, 0), 0.2);
    QVERIFY(std::fabs(pacing_fraction("linear", 0.2, 100, 4, 50) - 0.6) < 1e-12);
    QCOMPARE(pacing_fraction("linear", 0.2, 100, 4, 100), 1.0);
    QCOMPARE(pacing_fraction("linear", 0.2, 100, 4, 1000), 1.0);
    QVERIFY(std::fabs(pacing_fraction("root", 0.2, 100, 4, 25) - std::sqrt(0.04 + 0.96 * 0.25)) <
            1e-12);
    QCOMPARE(pacing_fraction("root", 0.2, 100, 4, 100), 1.0);
    QCOMPARE(pacing_fraction("step", 0.2, 100, 4, 24), 0.2);
    QVERIFY(std::fabs(pacing_fraction("step", 0.2, 100, 4, 25) - 0.4) < 1e-12);
    QVERIFY(std::fabs(pacing_fraction("step", 0.2, 100, 4, 99) - 0.8) < 1e-12);
    QCOMPARE(pacing_fraction("step", 0.2, 100, 4, 100), 1.0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, pacing_fraction("cubic", 0.2, 100, 4, 1));
}

void TestDataSamplers::curriculumStaysInPoolAndReachesAll() {
    const int64_t n = 200, full = 40;
    for (const char* pacing : {"linear", "root", "step"}) {
        // Difficulty falls with the index, so the easiest k examples are ids n-k .. n-1.
        std::vector<double> proxy;
        for (int64_t i = 0; i < n; ++i) proxy.push_back(static_cast<double>(n - i));
        auto s = make_sampler(curriculum_options(pacing, 0.1, full), n,
                              [&] { return torch::tensor(proxy, torch::kFloat64); });
        auto& cur = dynamic_cast<CurriculumSampler&>(*s);
        QCOMPARE(cur.order().front(), n - 1);
        double last_mean = 0;
        std::vector<torch::Tensor> after_full;
        for (int64_t step = 1; step <= full + 10; ++step) {
            const int64_t pool = static_cast<int64_t>(
                std::ceil(pacing_fraction(pacing, 0.1, full, 4, step) * n - 1e-9));
            QCOMPARE(cur.pool_size(step), pool);
            const auto b = s->next(16);
            for (int64_t j : ids(b.indices)) QVERIFY2(j >= n - pool, pacing);
            QCOMPARE(s->metrics().pool_fraction, static_cast<double>(pool) / n);
            if (step >= full) after_full.push_back(b.indices);
            if (step == full) {
                QCOMPARE(pool, n);
                last_mean = s->metrics().mean_difficulty;
            }
        }
        QVERIFY(last_mean > 0);
        // From the full step on: shuffled epochs, so its first n draws are a permutation.
        after_full.push_back(s->next(n - 11 * 16).indices);
        QVERIFY(torch::equal(std::get<0>(torch::cat(after_full).sort()),
                             torch::arange(n, torch::kInt64)));
    }
    // Early batches are easier than late ones (mean proxy difficulty rises with the pool).
    std::vector<double> proxy;
    for (int64_t i = 0; i < n; ++i) proxy.push_back(static_cast<double>(i));
    auto s = make_sampler(curriculum_options("linear", 0.1, 100), n,
                          [&] { return torch::tensor(proxy, torch::kFloat64); });
    s->next(64);
    const double early = s->metrics().mean_difficulty;
    QVERIFY(early < 0.1 * n);
    for (int i = 0; i < 99; ++i) s->next(64);
    QVERIFY(s->metrics().mean_difficulty > 3 * early);
}

void TestDataSamplers::curriculumRanksByScoringPass() {
    const int64_t n = 50;
    auto o = curriculum_options("linear", 0.2, 20);
    o.difficulty = "loss";
    o.rescore_every = 10;
    auto s = make_sampler(o, n, []() -> torch::Tensor {
        throw std::logic_error("a loss-ranked curriculum must not ask for the proxy");
    });
    int64_t scored = 0, calls = 0;
    double shift = 0;
    s->set_scorer([&](const torch::Tensor& indices) {
        scored += indices.size(0);
        ++calls;
        // Loss high for even ids; `shift` flips the ranking later.
        return (indices.remainder(2).to(torch::kFloat64) * -1 + 1) * (1 - 2 * shift) +
               indices.to(torch::kFloat64) * 1e-3;
    });
    const auto first = ids(s->next(8).indices);  // scoring pass over all 50, in chunks of 8
    QCOMPARE(scored, n);
    QCOMPARE(calls, int64_t{7});
    for (int64_t j : first) QVERIFY2(j % 2 == 1, "the pool starts with the odd (easy) ids");
    auto& cur = dynamic_cast<CurriculumSampler&>(*s);
    QCOMPARE(cur.scoring_passes(), int64_t{1});
    shift = 1;  // the model changed its mind: even ids are easy now
    for (int i = 0; i < 9; ++i) s->next(8);
    QCOMPARE(cur.scoring_passes(), int64_t{1});
    s->next(8);  // step 11 re-ranks: the 25 even ids now lead the order
    for (int64_t k = 0; k < 25; ++k) QVERIFY(cur.order()[static_cast<size_t>(k)] % 2 == 0);
    QCOMPARE(cur.scoring_passes(), int64_t{2});
    for (int i = 0; i < 9; ++i) s->next(8);  // step 20: pool full, no more passes
    QCOMPARE(cur.scoring_passes(), int64_t{2});
    QCOMPARE(s->metrics().pool_fraction, 1.0);
}

void TestDataSamplers::uniformCoversEachEpoch() {
    SamplerOptions o;
    o.seed = 3;
    auto s = make_sampler(o, 100, {});
    const auto b = s->next(60);
    QVERIFY(torch::equal(b.weights, torch::ones({60})));
    QCOMPARE(s->metrics().unique_seen, 0.6);
    const auto rest = s->next(40);
    QVERIFY(torch::equal(std::get<0>(torch::cat({b.indices, rest.indices}).sort()),
                         torch::arange(100, torch::kInt64)));
    QCOMPARE(s->metrics().unique_seen, 1.0);
    QCOMPARE(s->metrics().pool_fraction, 1.0);
    s->report(rest.indices, torch::full({40}, 3.0));
    QCOMPARE(s->metrics().mean_difficulty, 3.0);
}

void TestDataSamplers::reproducibleUnderSeedAndResume_data() {
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("difficulty");
    QTest::newRow("uniform") << "uniform"
                             << "proxy";
    QTest::newRow("hard") << "hard"
                          << "proxy";
    QTest::newRow("curriculum-proxy") << "curriculum"
                                      << "proxy";
    QTest::newRow("curriculum-loss") << "curriculum"
                                     << "loss";
}

void TestDataSamplers::reproducibleUnderSeedAndResume() {
    QFETCH(QString, kind);
    QFETCH(QString, difficulty);
    const int64_t n = 97;
    auto options = [&](uint64_t seed) {
        SamplerOptions o;
        o.kind = kind.toStdString();
        o.seed = seed;
        o.beta = 0.4;
        o.rescore_every = 3;
        o.stale_after = 2;
        o.difficulty = difficulty.toStdString();
        o.full_at_step = 25;
        o.start_fraction = 0.1;
        return o;
    };
    auto proxy = [] { return torch::arange(97, torch::kFloat64).remainder(13); };
    auto make = [&](uint64_t seed) {
        auto s = make_sampler(options(seed), n, proxy);
        s->set_scorer([](const torch::Tensor& i) { return fake_losses(i, 1000); });
        return s;
    };
    auto a = make(42), b = make(42), c = make(43);
    const auto [ia, wa] = run(*a, 40, 16);
    const auto [ib, wb] = run(*b, 40, 16);
    const auto [ic, wc] = run(*c, 40, 16);
    QVERIFY(torch::equal(ia, ib));
    QVERIFY(torch::equal(wa, wb));
    QVERIFY(!torch::equal(ia, ic));

    // Checkpoint at step 17, continue; a fresh sampler with another seed loads the state.
    auto straight = make(42);
    run(*straight, 17, 16);
    const nlohmann::json saved = through_checkpoint(*straight);
    const auto before = straight->metrics();
    const auto [rest, rest_w] = run(*straight, 23, 16);
    auto resumed = make(1234);
    resumed->load_state(saved);
    QCOMPARE(resumed->steps(), int64_t{17});
    QCOMPARE(resumed->metrics().unique_seen, before.unique_seen);
    QCOMPARE(resumed->metrics().mean_difficulty, before.mean_difficulty);
    QCOMPARE(resumed->metrics().pool_fraction, before.pool_fraction);
    const auto [again, again_w] = run(*resumed, 23, 16);
    QVERIFY(torch::equal(again, rest));
    QVERIFY(torch::equal(again_w, rest_w));
    QVERIFY(torch::equal(again, ia.narrow(0, 17 * 16, 23 * 16)));
    QCOMPARE(resumed->metrics().unique_seen, straight->metrics().unique_seen);
}

void TestDataSamplers::foreignStateRejected() {
    auto hard = make_sampler(hard_options(1, 0.2), 50, {});
    SamplerOptions u;
    auto uniform = make_sampler(u, 50, {});
    QVERIFY_THROWS_EXCEPTION(DataError, uniform->load_state(hard->state()));
    auto bigger = make_sampler(hard_options(1, 0.2), 51, {});
    QVERIFY_THROWS_EXCEPTION(DataError, bigger->load_state(hard->state()));
    auto broken = hard->state();
    broken["own"]["score"] = nlohmann::json::binary({1, 2, 3});
    QVERIFY_THROWS_EXCEPTION(DataError, hard->load_state(broken));
    QVERIFY_THROWS_EXCEPTION(DataError, hard->load_state(nlohmann::json::object()));
    try {
        uniform->load_state(hard->state());
    } catch (const DataError& e) {
        QVERIFY(std::string(e.what()).find("sampler.kind=hard") != std::string::npos);
    }
    // A proxy curriculum refuses the state of a loss-ranked one.
    auto o = curriculum_options("linear", 0.2, 10);
    auto proxy = make_sampler(o, 50, [] { return torch::zeros({50}); });
    o.difficulty = "loss";
    auto loss = make_sampler(o, 50, {});
    QVERIFY_THROWS_EXCEPTION(DataError, proxy->load_state(loss->state()));
}

QTEST_GUILESS_MAIN(TestDataSamplers)
#include "test_data_samplers.moc"
