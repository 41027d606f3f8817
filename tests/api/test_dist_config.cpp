// The dist section (issue 15): the global batch must split over the ranks, the settings data
// parallel cannot take are refused with the key and the fix, and torchrun's variables are read
// (or refused by name when they are not numbers).
#include <QtTest>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "engine/api/dist_env.h"
#include "engine/api/dist_rules.h"
#include "engine/api/presets.h"

using namespace wb;

namespace {

api::RunConfig preset(const char* name) {
    std::string why;
    return api::resolve_preset(name, &why)->config;
}

bool has(const std::vector<api::ConfigError>& errors, const std::string& path,
         const std::string& text) {
    for (const auto& e : errors)
        if (e.path == path && e.message.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

class TestDistConfig final : public QObject {
    Q_OBJECT

private slots:
    void offAndOneRankHaveNoRules() {
        auto c = preset("gpt-char");
        c.train.batch_size = 33;
        QVERIFY(api::dist_problems(c, 2).empty());  // dist.mode=off
        c.dist.mode = "data";
        QVERIFY(api::dist_problems(c, 1).empty());
    }

    void theGlobalBatchMustSplitEvenly() {
        auto c = preset("gpt-char");
        c.dist.mode = "data";
        c.train.batch_size = 33;
        const auto errors = api::dist_problems(c, 2);
        QVERIFY(has(errors, "train.batch_size", "does not split evenly over 2 ranks"));
        QVERIFY(has(errors, "train.batch_size", "multiple of 2"));
        c.train.batch_size = 32;
        QVERIFY(api::dist_problems(c, 2).empty());
        QVERIFY(!api::dist_problems(c, 3).empty());
        // validate() applies the rule with dist.world_size.
        c.dist.world_size = 3;
        QVERIFY(has(c.validate(), "train.batch_size", "3 ranks"));
    }

    void eachRanksShareMustHoldWholePacks() {
        auto c = preset("gan-mixture2d");
        c.dist.mode = "data";
        c.gan.pack = 4;
        c.train.batch_size = 24;  // 12 per rank: 3 packs
        QVERIFY(api::dist_problems(c, 2).empty());
        // 6 per rank on 4 ranks: not whole packs, though 24 itself is.
        QVERIFY(has(api::dist_problems(c, 4), "train.batch_size", "divisible by gan.pack 4"));
    }

    void progressiveBatchesMustSplitToo() {
        auto c = preset("progan-fashion");
        c.dist.mode = "data";
        c.progressive.batch_8 = 33;
        QVERIFY(has(api::dist_problems(c, 2), "progressive.batch_8", "does not split evenly"));
    }

    void gradientPenaltyThroughSyncedBatchNormIsRefused() {
        auto c = preset("dcgan-fashion");
        c.dist.mode = "data";
        c.gan.loss = "wgan_gp";
        QVERIFY(has(api::dist_problems(c, 2), "gan.loss", "use hinge or non_saturating"));
        c.gan.loss = "hinge";
        QVERIFY(api::dist_problems(c, 2).empty());
    }

    // Pipeline stages split the GPT's blocks: other models, too few blocks, micro-batches that
    // do not divide the batch, and features that need the whole model each step are refused.
    void pipelineRulesNameTheKeyAndTheFix() {
        auto c = preset("gpt-char");  // 4 layers, batch 32
        c.dist.mode = "pipeline";
        c.dist.micro_batches = 4;
        QVERIFY(api::dist_problems(c, 2).empty());
        QVERIFY(api::dist_problems(c, 4).empty());
        QVERIFY(has(api::dist_problems(c, 5), "model.layers", "cannot fill 5 pipeline stages"));
        c.dist.micro_batches = 5;
        QVERIFY(has(api::dist_problems(c, 2), "dist.micro_batches", "pick a divisor"));
        c.dist.micro_batches = 4;
        c.sampler.kind = "hard";
        QVERIFY(has(api::dist_problems(c, 2), "sampler.kind", "sampler.kind=uniform"));
        c.sampler.kind = "curriculum";
        c.sampler.difficulty = "proxy";
        QVERIFY(api::dist_problems(c, 2).empty());
        c.sampler.kind = "uniform";
        c.prune.method = "magnitude";
        QVERIFY(has(api::dist_problems(c, 2), "prune.method", "prune.method=none"));
        c.prune.method = "none";
        c.grow.at_steps = "100";
        QVERIFY(has(api::dist_problems(c, 2), "grow.at_steps", "turn growth off"));
        auto d = preset("dcgan-fashion");
        d.dist.mode = "pipeline";
        QVERIFY(has(api::dist_problems(d, 2), "dist.mode", "use dist.mode=data"));
        // validate() applies them with dist.world_size.
        c.grow.at_steps.clear();
        c.dist.world_size = 8;
        QVERIFY(has(c.validate(), "model.layers", "8 pipeline stages"));
    }

    // Hybrid: the ranks must fill whole pipelines, at least two of them; the batch splits over
    // the replicas and each share into the micro-batches; every pipeline rule still holds.
    void hybridRulesNameTheKeyAndTheFix() {
        auto c = preset("gpt-char");  // 4 layers, batch 32
        c.dist.mode = "hybrid";
        c.dist.stages = 2;
        c.dist.micro_batches = 4;
        QVERIFY(api::dist_problems(c, 4).empty());
        QVERIFY(api::dist_problems(c, 8).empty());
        QVERIFY(has(api::dist_problems(c, 5), "dist.stages", "multiple of dist.stages"));
        QVERIFY(has(api::dist_problems(c, 2), "dist.world_size", "use dist.mode=pipeline"));
        c.dist.micro_batches = 16;  // a share of 16 of 32 splits; of 8 (4 replicas) it does not
        QVERIFY(api::dist_problems(c, 4).empty());
        QVERIFY(has(api::dist_problems(c, 8), "dist.micro_batches", "share 8"));
        c.dist.micro_batches = 4;
        c.train.batch_size = 30;
        QVERIFY(has(api::dist_problems(c, 8), "train.batch_size", "over 4 replicas"));
        c.train.batch_size = 32;
        c.dist.stages = 8;
        QVERIFY(has(api::dist_problems(c, 16), "dist.stages", "cannot fill 8 pipeline stages"));
        c.dist.stages = 2;
        c.prune.method = "magnitude";
        QVERIFY(has(api::dist_problems(c, 4), "prune.method", "prune.method=none"));
        auto d = preset("dcgan-fashion");
        d.dist.mode = "hybrid";
        QVERIFY(has(api::dist_problems(d, 4), "dist.mode", "use dist.mode=data"));
        // validate() applies them with dist.world_size, and the file round trip keeps stages.
        c.prune.method = "none";
        c.dist.world_size = 6;
        c.dist.stages = 3;
        QVERIFY(c.validate().empty());
        std::vector<api::ConfigError> errors;
        const auto back = api::RunConfig::from_json(c.to_json(), &errors);
        QVERIFY(errors.empty());
        QCOMPARE(back.dist.stages, int64_t(3));
        QCOMPARE(back.dist.mode, std::string("hybrid"));
    }

    void torchrunsVariablesAreRead() {
        qunsetenv("RANK");
        qunsetenv("WORLD_SIZE");
        QVERIFY(!api::join_from_environment().active());
        qputenv("RANK", "1");
        qputenv("WORLD_SIZE", "4");
        qputenv("LOCAL_RANK", "1");
        qputenv("LOCAL_WORLD_SIZE", "2");
        qputenv("MASTER_ADDR", "10.0.0.1");
        qputenv("MASTER_PORT", "29512");
        qputenv("TORCHELASTIC_RESTART_COUNT", "3");
        qputenv("TORCHELASTIC_USE_AGENT_STORE", "True");
        const auto j = api::join_from_environment();
        QVERIFY(j.active());
        QCOMPARE(j.rank, 1);
        QCOMPARE(j.world, 4);
        QCOMPARE(j.local_rank, 1);
        QCOMPARE(j.local_world, 2);
        QCOMPARE(j.addr, std::string("10.0.0.1"));
        QCOMPARE(j.port, 29512);
        QCOMPARE(j.restart, 3);
        QVERIFY(j.agent_store);
        qputenv("RANK", "4");  // not below WORLD_SIZE
        try {
            api::join_from_environment();
            QFAIL("RANK=4 of WORLD_SIZE=4 was accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(std::string(e.what()).find("RANK='4'") != std::string::npos, e.what());
        }
        qputenv("RANK", "one");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, api::join_from_environment());
        for (const char* v :
             {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
              "TORCHELASTIC_RESTART_COUNT", "TORCHELASTIC_USE_AGENT_STORE"})
            qunsetenv(v);
    }
};

QTEST_GUILESS_MAIN(TestDistConfig)
#include "test_dist_config.moc"
