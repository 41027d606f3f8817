// Pipeline schedules (issue 15): GPipe and 1F1B orders run every micro-batch's forward before its
// backward, 1F1B holds at most stages - stage micro-batches at once, neighbouring stages' orders
// never deadlock (simulated with blocking receives), and the balanced split evens the stages.
#include <map>
#include <tuple>

#include "engine/dist/pipeline.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb::engine::dist;

namespace {

// Runs every stage's order with blocking receives: a forward of micro i on stage s waits for
// stage s-1's forward of i, a backward for stage s+1's backward of i. Returns the number of
// rounds (time steps of unit length per pass) or -1 on a deadlock.
int simulate(PipelineSchedule kind, int stages, int micro) {
    std::vector<std::vector<PipelineAction>> orders;
    for (int s = 0; s < stages; ++s) orders.push_back(pipeline_order(kind, s, stages, micro));
    std::vector<size_t> next(stages, 0);
    std::map<std::tuple<int, bool, int>, int> done;  // (stage, forward, micro) -> round
    int round = 0;
    for (size_t finished = 0; finished < static_cast<size_t>(stages);) {
        ++round;
        if (round > 10 * (micro + stages) * 2) return -1;
        std::vector<std::tuple<int, bool, int>> now;
        finished = 0;
        for (int s = 0; s < stages; ++s) {
            if (next[s] == orders[s].size()) {
                ++finished;
                continue;
            }
            const auto a = orders[s][next[s]];
            const int from = a.forward ? s - 1 : s + 1;
            const bool ready = from < 0 || from >= stages ||
                               (done.count({from, a.forward, a.micro}) &&
                                done[{from, a.forward, a.micro}] < round);
            if (ready) now.push_back({s, a.forward, a.micro});
        }
        for (const auto& k : now) {
            done[k] = round;
            ++next[std::get<0>(k)];
        }
    }
    return round - 1;
}

}  // namespace

class TestPipelineSchedule final : public QObject {
    Q_OBJECT

private slots:
    void everyPassOnceAndBackwardAfterForward() {
        for (auto kind : {PipelineSchedule::GPipe, PipelineSchedule::OneFOneB})
            for (int p : {1, 2, 3, 4})
                for (int m : {1, 2, 4, 8}) {
                    for (int s = 0; s < p; ++s) {
                        const auto order = pipeline_order(kind, s, p, m);
                        QCOMPARE(order.size(), size_t(2 * m));
                        std::vector<int> state(m, 0);
                        for (const auto& a : order) {
                            QCOMPARE(state[a.micro], a.forward ? 0 : 1);
                            state[a.micro] = a.forward ? 1 : 2;
                        }
                    }
                    QVERIFY2(simulate(kind, p, m) > 0, "the stages wait on each other forever");
                }
    }

    void oneFOneBHoldsAtMostStagesMicroBatches() {
        for (int m : {1, 2, 4, 8}) {
            QCOMPARE(max_in_flight(pipeline_order(PipelineSchedule::GPipe, 0, 2, m)), m);
            QCOMPARE(max_in_flight(pipeline_order(PipelineSchedule::OneFOneB, 0, 2, m)),
                     std::min(m, 2));
            QCOMPARE(max_in_flight(pipeline_order(PipelineSchedule::OneFOneB, 1, 2, m)), 1);
            QCOMPARE(max_in_flight(pipeline_order(PipelineSchedule::OneFOneB, 0, 4, m)),
                     std::min(m, 4));
        }
    }

    // With unit passes, both schedules take 2 (m + p - 1) rounds: the idle share of each stage
    // is (p - 1) / (m + p - 1), what ideal_bubble says.
    void theBubbleIsTheTextbookOne() {
        for (auto kind : {PipelineSchedule::GPipe, PipelineSchedule::OneFOneB})
            for (int p : {2, 4})
                for (int m : {1, 2, 4, 8}) {
                    const int rounds = simulate(kind, p, m);
                    QCOMPARE(rounds, 2 * (m + p - 1));
                    QCOMPARE(1.0 - 2.0 * m / rounds, ideal_bubble(p, m));
                }
        QCOMPARE(ideal_bubble(2, 4), 0.2);
    }

    void theSplitEvensTheStages() {
        // Equal blocks, light ends: 4 blocks over 2 stages split 2 + 2.
        QCOMPARE(balanced_split({1, 10, 10, 10, 10, 1}, 2), (std::vector<int64_t>{0, 2, 4}));
        // A heavy head pulls blocks to the first stage: 3 + 1.
        QCOMPARE(balanced_split({1, 10, 10, 10, 10, 25}, 2), (std::vector<int64_t>{0, 3, 4}));
        // A heavy embedding the other way: 1 + 3.
        QCOMPARE(balanced_split({25, 10, 10, 10, 10, 1}, 2), (std::vector<int64_t>{0, 1, 4}));
        // Every stage keeps a block even when one is huge.
        QCOMPARE(balanced_split({0, 100, 1, 1, 0}, 3), (std::vector<int64_t>{0, 1, 2, 3}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, balanced_split({1, 10, 1}, 2));
        QCOMPARE(parse_schedule("gpipe"), PipelineSchedule::GPipe);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parse_schedule("zb-h1"));
    }

    // Hybrid's grid of 3 replicas x 2 stages: a replica's stages are neighbouring ranks, and
    // every rank is in exactly one pipeline and one stage group, which meet in that rank alone.
    void theHybridGridCoversEveryRankOnce() {
        const PipelineGrid grid{2, 3};
        QCOMPARE(grid.pipeline_of(3), (std::vector<int>{2, 3}));
        QCOMPARE(grid.replicas_of(3), (std::vector<int>{1, 3, 5}));
        QCOMPARE(grid.replicas_of(4), (std::vector<int>{0, 2, 4}));
        for (int r = 0; r < 6; ++r) {
            const auto p = grid.pipeline_of(r), s = grid.replicas_of(r);
            QCOMPARE(p[static_cast<size_t>(grid.stage(r))], r);
            QCOMPARE(s[static_cast<size_t>(grid.replica(r))], r);
            int shared = 0;
            for (int a : p)
                for (int b : s) shared += a == b ? 1 : 0;
            QCOMPARE(shared, 1);
        }
    }
};

QTEST_APPLESS_MAIN(TestPipelineSchedule)
#include "test_pipeline_schedule.moc"
