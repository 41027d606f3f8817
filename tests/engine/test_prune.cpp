// Pruning: mask arithmetic against hand-computed references, the schedule formula, masks under
// optimizer steps and checkpoints, compaction equivalence for every model family, and a pruned
// run end to end.
#include <cmath>
#include <filesystem>

#include "engine/models/layouts.h"
#include "engine/prune/masks.h"
#include "engine/export/model_files.h"
#include "engine/prune/measure.h"
#include "engine/prune/pruner.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QtTest>

using namespace wb;

namespace {

int64_t zeros(const torch::Tensor& t) {
    return (t == 0).sum().item<int64_t>();
}

torch::nn::Sequential tiny_mlp() {
    return torch::nn::Sequential(torch::nn::Linear(8, 16), torch::nn::ReLU(),
                                 torch::nn::Linear(16, 12), torch::nn::ReLU(),
                                 torch::nn::Linear(12, 4));
}

api::PruneConfig config(const std::string& method, double target) {
    api::PruneConfig c;
    c.method = method;
    c.target = target;
    return c;
}

// Prunes `live` (channel, 50% of the default groups), then checks that a compacted copy built by
// `copy` computes the same outputs as the masked model and has fewer parameters.
template <typename Model, typename LayoutOf, typename Forward>
void check_compaction(Model live, Model copy, LayoutOf layout_of, Forward forward,
                      int64_t* params_before, int64_t* params_after) {
    prune::Pruner pruner(config("channel", 0.5), layout_of(*live));
    pruner.prune_to(0.5);
    models::copy_state(*live, *copy);
    auto copy_layout = layout_of(*copy);
    pruner.compact(copy_layout);
    live->eval();
    copy->eval();
    torch::NoGradGuard no_grad;
    torch::Tensor a = forward(live), b = forward(copy);
    QCOMPARE(a.sizes().vec(), b.sizes().vec());
    QVERIFY2(torch::allclose(a, b, 1e-4, 1e-5),
             std::to_string((a - b).abs().max().item<double>()).c_str());
    *params_before = 0;
    *params_after = 0;
    for (const auto& p : live->parameters()) *params_before += p.numel();
    for (const auto& p : copy->parameters()) *params_after += p.numel();
}

}  // namespace

class TestPrune final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::manual_seed(7); }

    void magnitudeHitsTheTargetPerLayer() {
        for (double s : {0.0, 0.3, 0.5, 0.8, 0.99}) {
            for (auto shape : {std::vector<int64_t>{7, 13}, std::vector<int64_t>{5, 3, 4, 4}}) {
                auto w = torch::randn(shape);
                auto mask = prune::magnitude_mask(w, s);
                const double want = s * static_cast<double>(w.numel());
                QVERIFY(std::fabs(static_cast<double>(zeros(mask)) - want) <= 1.0);
                // Every removed weight is no larger than every kept one.
                auto a = w.abs();
                if (zeros(mask) > 0 && zeros(mask) < w.numel())
                    QVERIFY(a.masked_select(mask == 0).max().item<float>() <=
                            a.masked_select(mask == 1).min().item<float>());
            }
        }
    }

    void globalScopeRanksAcrossLayers() {
        // Layer a holds the 60 smallest magnitudes of all 100 weights: pruning 50% globally
        // empties 50 of them and leaves b whole, while per-layer pruning halves both.
        auto a = torch::linspace(0.01, 0.6, 60).view({6, 10});
        auto b = torch::linspace(1.0, 2.0, 40).view({4, 10});
        auto masks = prune::global_magnitude_masks({a, b}, 0.5);
        QCOMPARE(zeros(masks[0]), int64_t{50});
        QCOMPARE(zeros(masks[1]), int64_t{0});
        QCOMPARE(masks[0].flatten().narrow(0, 50, 10).sum().item<float>(), 10.0f);
        QCOMPARE(zeros(prune::magnitude_mask(b, 0.5)), int64_t{20});
    }

    void gradualScheduleFollowsTheCubicFormula() {
        // s_t = s_f + (s_i - s_f) (1 - (t - t0) / (t1 - t0))^3 with s_i 0.1, s_f 0.8, t0 100, t1
        // 500
        QCOMPARE(prune::cubic_sparsity(50, 0.1, 0.8, 100, 500), 0.1);
        QCOMPARE(prune::cubic_sparsity(100, 0.1, 0.8, 100, 500), 0.1);
        QVERIFY(std::fabs(prune::cubic_sparsity(200, 0.1, 0.8, 100, 500) - 0.5046875) < 1e-12);
        QVERIFY(std::fabs(prune::cubic_sparsity(300, 0.1, 0.8, 100, 500) - 0.7125) < 1e-12);
        QVERIFY(std::fabs(prune::cubic_sparsity(400, 0.1, 0.8, 100, 500) - 0.7890625) < 1e-12);
        QCOMPARE(prune::cubic_sparsity(500, 0.1, 0.8, 100, 500), 0.8);
        QCOMPARE(prune::cubic_sparsity(900, 0.1, 0.8, 100, 500), 0.8);

        // The pruner prunes at t0, every `every_steps` and at t1, and reaches each value.
        auto net = tiny_mlp();
        api::PruneConfig c = config("magnitude", 0.8);
        c.schedule = "gradual";
        c.initial = 0.1;
        c.start_step = 100;
        c.end_step = 500;
        c.every_steps = 150;
        c.layers = "net.0,net.2,net.4";
        prune::Pruner pruner(c, models::sequential_layout(net, "net"));
        std::vector<int64_t> pruned_at;
        for (int64_t step = 0; step <= 600; ++step) {
            if (!pruner.update(step)) continue;
            pruned_at.push_back(step);
            QCOMPARE(pruner.current_target(), prune::cubic_sparsity(step, 0.1, 0.8, 100, 500));
            // Within one weight per layer of the scheduled sparsity.
            const double total = 8 * 16 + 16 * 12 + 12 * 4;
            QVERIFY(std::fabs(pruner.sparsity() * total - pruner.current_target() * total) <= 3);
        }
        QCOMPARE(pruned_at, (std::vector<int64_t>{100, 250, 400, 500}));
        // What the schedule has reached between prunings (used when resuming).
        QCOMPARE(pruner.scheduled(99), 0.0);
        QCOMPARE(pruner.scheduled(300), prune::cubic_sparsity(250, 0.1, 0.8, 100, 500));
        QCOMPARE(pruner.scheduled(499), prune::cubic_sparsity(400, 0.1, 0.8, 100, 500));
        QCOMPARE(pruner.scheduled(600), 0.8);
    }

    void prunedWeightsStayZeroUnderAdamAndWeightDecay() {
        auto net = tiny_mlp();
        api::PruneConfig c = config("magnitude", 0.6);
        c.layers = "net.0,net.2,net.4";
        prune::Pruner pruner(c, models::sequential_layout(net, "net"));
        pruner.prune_to(0.6);
        std::vector<torch::Tensor> pruned;
        for (int i : {0, 2, 4})
            pruned.push_back(net[i]->as<torch::nn::Linear>()->weight.detach() == 0);
        torch::optim::AdamW opt(net->parameters(),
                                torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
        bool revived = false;
        for (int step = 0; step < 20; ++step) {
            auto x = torch::randn({32, 8});
            auto loss = (net->forward(x) - 1).pow(2).mean();
            opt.zero_grad();
            loss.backward();
            opt.step();
            // Without the mask, Adam's momentum would move pruned weights off zero...
            for (std::size_t k = 0; k < pruned.size(); ++k) {
                auto w = net[static_cast<std::size_t>(2 * k)]->as<torch::nn::Linear>()->weight;
                revived = revived || (w.masked_select(pruned[k]) != 0).any().item<bool>();
            }
            pruner.enforce();
            // ...with it, they are exactly zero after every step.
            for (std::size_t k = 0; k < pruned.size(); ++k) {
                auto w = net[static_cast<std::size_t>(2 * k)]->as<torch::nn::Linear>()->weight;
                QVERIFY((w.masked_select(pruned[k]) == 0).all().item<bool>());
            }
        }
        QVERIFY(revived);
        QVERIFY(std::fabs(pruner.sparsity() - 0.6) < 0.01);
    }

    void enforcingOneNetworkLeavesTheOtherAlone() {
        // A GAN's two networks: re-masking after D's step must not write G's weights (G's step
        // graph may still hold them), and must restore D's own pruned weights.
        auto g = tiny_mlp(), d = tiny_mlp();
        api::PruneConfig c = config("magnitude", 0.5);
        c.layers = "g.2,d.2";
        auto layout = models::sequential_layout(g, "g");
        models::append(layout, models::sequential_layout(d, "d"));
        prune::Pruner pruner(c, std::move(layout));
        pruner.prune_to(0.5);
        auto gw = g[2]->as<torch::nn::Linear>()->weight, dw = d[2]->as<torch::nn::Linear>()->weight;
        const auto g_zero = gw.detach() == 0, d_zero = dw.detach() == 0;
        QVERIFY(g_zero.any().item<bool>() && d_zero.any().item<bool>());
        {
            torch::NoGradGuard no_grad;
            gw.add_(1.0);
            dw.add_(1.0);
        }
        const auto g_version = gw._version();
        pruner.enforce(d->parameters());
        QVERIFY((dw.masked_select(d_zero) == 0).all().item<bool>());
        QVERIFY((gw.masked_select(g_zero) != 0).all().item<bool>());
        QCOMPARE(gw._version(), g_version);  // G's weight was not written at all
        pruner.enforce(g->parameters());
        QVERIFY((gw.masked_select(g_zero) == 0).all().item<bool>());
    }

    void twoFourKeepsTheTwoLargestOfEveryFour() {
        struct Case {
            std::vector<int64_t> shape;
            int64_t in_dim;
        };
        for (const auto& k : {Case{{8, 16}, 1}, Case{{6, 8, 3, 3}, 1}, Case{{8, 6, 4, 4}, 0}}) {
            auto w = torch::randn(k.shape);
            auto mask = prune::two_four_mask(w, k.in_dim);
            auto groups = (w * mask).movedim(k.in_dim, -1).contiguous().view({-1, 4});
            auto kept = (groups != 0).sum(1);
            QVERIFY((kept <= 2).all().item<bool>());
            QCOMPARE(zeros(mask), w.numel() / 2);
            // The kept two are the largest two of their group.
            auto all = w.abs().movedim(k.in_dim, -1).contiguous().view({-1, 4});
            auto top2 = std::get<0>(all.sort(1, true)).narrow(1, 0, 2).sum(1);
            QVERIFY(torch::allclose(groups.abs().sum(1), top2));
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 prune::two_four_mask(torch::randn({4, 6}), 1));
    }

    void channelScoresAndGlobalKeepAUnitPerLayer() {
        torch::nn::Linear a(4, 3);
        {
            torch::NoGradGuard no_grad;
            a->weight.copy_(torch::tensor(
                {{1.f, 1.f, 1.f, 1.f}, {-3.f, 0.f, 0.f, 0.f}, {0.5f, 0.5f, 0.f, 0.f}}));
        }
        prune::ChannelGroup g{"a", 3, {{"a.weight", a->weight, 0, 0, 1, true, true}}, true};
        auto l1 = prune::unit_scores(g, false, false);
        auto l2 = prune::unit_scores(g, true, false);
        QVERIFY(torch::allclose(l1, torch::tensor({4.0, 3.0, 1.0}, torch::kFloat64)));
        QVERIFY(torch::allclose(l2, torch::tensor({2.0, 3.0, std::sqrt(0.5)}, torch::kFloat64)));
        // L1 and L2 disagree about which of the first two units matters more.
        QCOMPARE(prune::keep_units(l1, 0.34)[2].item<bool>(), false);
        auto keep2 = prune::keep_units(l2, 0.67);
        QCOMPARE(keep2[1].item<bool>(), true);
        QCOMPARE(keep2.sum().item<int64_t>(), int64_t{1});
        // Global: small scores everywhere in the first group, but one unit of it survives.
        auto keep = prune::keep_units_global(
            {torch::tensor({0.1, 0.2, 0.3}), torch::tensor({5.0, 6.0})}, 0.8);
        QCOMPARE(keep[0].sum().item<int64_t>(), int64_t{1});
        QCOMPARE(keep[0][2].item<bool>(), true);
        QCOMPARE(keep[1].sum().item<int64_t>(), int64_t{1});
        QCOMPARE(keep[1][1].item<bool>(), true);
    }

    void compactionGivesTheMaskedModelsOutputs() {
        int64_t before = 0, after = 0;
        {
            models::DcganOptions o(16, 8);
            models::DcGenerator g(o), g2(o);
            models::dcgan_init(*g);
            // BatchNorm with learned running statistics.
            for (int i = 0; i < 3; ++i) g->forward(torch::randn({8, 16}));
            check_compaction(
                g, g2,
                [](models::DcGeneratorImpl& m) { return models::sequential_layout(m.net, "g.net"); },
                [](auto& m) {
                    return m->forward(torch::linspace(-1, 1, 80).view({5, 16}));
                },
                &before, &after);
            QVERIFY(after < before * 3 / 4);
        }
        {
            models::DcganOptions o(16, 8);
            models::DcDiscriminator d(o), d2(o);
            models::dcgan_init(*d);
            for (int i = 0; i < 3; ++i) d->forward(torch::randn({8, 1, 32, 32}));
            check_compaction(
                d, d2,
                [](models::DcDiscriminatorImpl& m) {
                    return models::sequential_layout(m.net, "d.net");
                },
                [](auto& m) {
                    return m->forward(torch::sin(torch::arange(2048.0)).view({2, 1, 32, 32}));
                },
                &before, &after);
            QVERIFY(after < before);
        }
        {
            models::MlpGanOptions o(4, 32, 3);
            models::MlpGenerator g(o), g2(o);
            check_compaction(
                g, g2,
                [](models::MlpGeneratorImpl& m) {
                    return models::sequential_layout(m.net, "g.net");
                },
                [](auto& m) {
                    return m->forward(torch::linspace(-2, 2, 24).view({6, 4}));
                },
                &before, &after);
            QVERIFY(after < before);
        }
        {
            models::VaeOptions o(4, 8);
            models::Vae v(o), v2(o);
            check_compaction(
                v, v2, [](models::VaeImpl& m) { return models::vae_layout(m); },
                [](auto& m) {
                    auto x = torch::cos(torch::arange(2048.0)).view({2, 1, 32, 32});
                    return m->forward(x, torch::zeros({2, 4})).logits;
                },
                &before, &after);
            QVERIFY(after < before * 3 / 4);
        }
        {
            models::GptOptions o(20, 16, 32, 2, 4);
            models::Gpt g(o), g2(o);
            check_compaction(
                g, g2, [](models::GptImpl& m) { return models::gpt_layout(m); },
                [](auto& m) {
                    return m->forward(torch::arange(32).remainder(20).view({2, 16}));
                },
                &before, &after);
            auto* attn = g2->blocks->ptr(0)->as<models::GptBlock>()->attn.get();
            QCOMPARE(attn->heads, int64_t{2});
            QCOMPARE(attn->qkv->weight.size(0), int64_t{3 * 16});
            QVERIFY(after < before * 3 / 4);
        }
    }

    void masksSurviveSaveAndLoad() {
        auto net = tiny_mlp(), fresh = tiny_mlp();
        prune::Pruner a(config("channel", 0.5), models::sequential_layout(net, "net"));
        a.prune_to(0.5);
        torch::serialize::OutputArchive out;
        a.save(out);
        std::stringstream bytes;
        out.save_to(bytes);
        torch::serialize::InputArchive in;
        in.load_from(bytes);
        prune::Pruner b(config("channel", 0.5), models::sequential_layout(fresh, "net"));
        b.load(in);
        QCOMPARE(b.current_target(), 0.5);
        for (std::size_t g = 0; g < a.kept_units().size(); ++g)
            QVERIFY(torch::equal(a.kept_units()[g], b.kept_units()[g]));
        // The loaded masks zero the same rows of the fresh (unpruned) weights.
        auto wa = net[2]->as<torch::nn::Linear>()->weight,
             wb = fresh[2]->as<torch::nn::Linear>()->weight;
        QVERIFY(torch::equal(wa == 0, wb == 0));
        // The default group is net.2's 12 outputs: 6 rows of 16 inputs removed.
        QCOMPARE(zeros(wb), int64_t{6 * 16});
        QCOMPARE(zeros(fresh[4]->as<torch::nn::Linear>()->weight), int64_t{6 * 4});
        // Another selection refuses the masks.
        std::stringstream again;
        out.save_to(again);
        torch::serialize::InputArchive in2;
        in2.load_from(again);
        api::PruneConfig other = config("channel", 0.5);
        other.layers = "net.0";
        prune::Pruner c(other, models::sequential_layout(fresh, "net"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, c.load(in2));
    }

    void unknownLayersAreNamed() {
        auto net = tiny_mlp();
        api::PruneConfig c = config("magnitude", 0.5);
        c.layers = "net.2, net.9";
        try {
            prune::Pruner p(c, models::sequential_layout(net, "net"));
            QFAIL("expected an error");
        } catch (const std::invalid_argument& e) {
            const std::string what = e.what();
            QVERIFY(what.find("'net.9'") != std::string::npos);
            QVERIFY(what.find("choose from: net.0, net.2, net.4") != std::string::npos);
        }
        // The last layer has no prunable outputs.
        c = config("channel", 0.5);
        c.layers = "net.4";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 prune::Pruner(c, models::sequential_layout(net, "net")));
    }

    void sparseFormatStoresOnlyTheNonZeros() {
        torch::nn::Linear l(100, 100);
        {
            torch::NoGradGuard no_grad;
            l->weight.mul_(prune::magnitude_mask(l->weight, 0.8));
        }
        const auto dense = engine::archive_bytes(*l), sparse = engine::sparse_bytes(*l);
        // 10,000 weights: 4 bytes each dense; 2,000 values + 1,250 bitmap bytes sparse.
        QVERIFY(dense > 40000);
        QVERIFY(sparse < 2000 * 4 + 1250 + 2 * 100 * 4 + 4000);
        QVERIFY(sparse < dense / 3);
    }

    void aPrunedRunReportsAndResumesWithItsMasks() {
        QTemporaryDir dir;
        api::RunConfig c;  // gan_mlp on mixture2d: no data files
        c.train.steps = 20;
        c.train.batch_size = 32;
        c.train.threads = 1;
        c.model.width = 32;
        c.eval.every_steps = 0;
        c.eval.samples = 64;
        c.sample.every_steps = 0;
        c.checkpoint.every_steps = 20;
        c.prune.method = "channel";
        c.prune.target = 0.5;
        c.prune.at_step = 10;
        QVERIFY(c.validate().empty());
        auto r = test::run_to_end(c, dir.path().toStdString());
        QCOMPARE(r.final_status, api::RunStatus::Completed);
        auto target = r.by_step("prune/target");
        QCOMPARE(target.at(0), 0.0);
        QCOMPARE(target.at(10), 0.5);
        auto params = r.by_step("prune/params");
        QVERIFY(params.at(10) < params.at(0));
        auto compact = r.by_step("prune/size_compact_bytes");
        QVERIFY(compact.at(20) < r.by_step("prune/size_dense_bytes").at(20));
        QVERIFY(r.by_step("prune/infer_ms").count(20) == 1);
        const double sparsity = r.by_step("prune/sparsity").at(20);
        QVERIFY(sparsity > 0.3);

        // Resume for 10 more steps: the masks come back from the checkpoint and hold.
        c.train.steps = 30;
        auto again = test::run_to_end(c, dir.path().toStdString(), true);
        QCOMPARE(again.final_status, api::RunStatus::Completed);
        QCOMPARE(again.by_step("prune/sparsity").at(30), sparsity);
        QCOMPARE(again.by_step("prune/params").at(30), r.by_step("prune/params").at(20));
    }

    void resumingAnUnprunedRunWithPruningCatchesUp() {
        QTemporaryDir dir;
        api::RunConfig c;
        c.train.steps = 10;
        c.train.batch_size = 32;
        c.train.threads = 1;
        c.model.width = 32;
        c.eval.every_steps = 0;
        c.eval.samples = 64;
        c.sample.every_steps = 0;
        c.checkpoint.every_steps = 10;
        QCOMPARE(test::run_to_end(c, dir.path().toStdString()).final_status,
                 api::RunStatus::Completed);
        // Resumed at step 10 with a oneshot pruning at step 5, which lies in the past.
        c.train.steps = 12;
        c.prune.method = "magnitude";
        c.prune.target = 0.7;
        c.prune.at_step = 5;
        auto r = test::run_to_end(c, dir.path().toStdString(), true);
        QCOMPARE(r.final_status, api::RunStatus::Completed);
        QVERIFY2(std::fabs(r.by_step("prune/sparsity").at(12) - 0.7) < 0.01,
                 (std::to_string(r.by_step("prune/sparsity").at(12)) + r.message).c_str());
        QCOMPARE(r.by_step("prune/target").at(12), 0.7);
    }
};

QTEST_APPLESS_MAIN(TestPrune)
#include "test_prune.moc"
