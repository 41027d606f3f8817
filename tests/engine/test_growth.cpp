// Growing networks: widening and deepening preserve what the GPT computes (outputs on fixed
// input), the grown model's gradients are the old ones laid out and scaled as the origins say
// (which is what the carried optimizer moments assume), the optimizer state follows the new
// parameter set (shapes, step counts, fresh blocks from zero, the fused step included), a run
// grows on schedule without a jump in the loss, resuming across a growth equals a straight run,
// and schedules that cannot work are config errors.
#include <cmath>
#include <filesystem>

#include "engine/api/grow_schedule.h"
#include "engine/compat.h"
#include "engine/grow/gpt_growth.h"
#include "engine/grow/optimizer_transplant.h"
#include "engine/models/gpt.h"
#include "engine/optim/fused_adam.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

using namespace wb;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kVocab = 11, kContext = 12;

models::GptOptions options(int64_t width, int64_t layers, int64_t heads) {
    return models::GptOptions(kVocab, kContext, width, layers, heads);
}

torch::Tensor ids() {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
    return torch::randint(kVocab, {3, kContext}, gen, torch::kLong);
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

// A model with some training behind it, so that nothing is at its initial value.
models::Gpt trained(int64_t width, int64_t layers, int64_t heads,
                    std::unique_ptr<torch::optim::Optimizer>* opt) {
    torch::manual_seed(3);
    models::Gpt g(options(width, layers, heads));
    *opt = std::make_unique<torch::optim::Adam>(g->parameters(), torch::optim::AdamOptions(1e-2));
    for (int i = 0; i < 3; ++i) {
        (*opt)->zero_grad();
        auto x = ids();
        g->loss(g->forward(x), x.roll(1, 1)).backward();
        (*opt)->step();
    }
    return g;
}

std::vector<torch::Tensor> gradients(models::GptImpl& g) {
    for (auto& p : g.parameters()) p.mutable_grad() = torch::Tensor();
    auto x = ids();
    g.loss(g.forward(x), x.roll(1, 1)).backward();
    std::vector<torch::Tensor> out;
    for (auto& p : g.parameters()) out.push_back(p.grad().clone());
    return out;
}

const torch::optim::AdamParamState* adam_state(torch::optim::Optimizer& o, const torch::Tensor& p) {
    auto it = o.state().find(compat::optimizer_state_key(p));
    return it == o.state().end()
               ? nullptr
               : static_cast<const torch::optim::AdamParamState*>(it->second.get());
}

api::RunConfig tiny_gpt(int64_t steps) {
    auto c = test::tiny_preset("gpt-char", steps, 0);
    c.model.width = 16;
    c.model.layers = 1;
    c.model.heads = 2;
    c.model.context = 16;
    return c;
}

}  // namespace

class TestGrowth final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void wideningPreservesTheOutputsAndScalesTheGradients() {
        std::unique_ptr<torch::optim::Optimizer> opt;
        auto old = trained(8, 2, 2, &opt);
        torch::NoGradGuard no_grad;
        const auto before = old->forward(ids());
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        for (int64_t k : {2, 3}) {
            auto grown = grow::widen(*old, options(8 * k, 2, 2 * k), 0.0, gen);
            QCOMPARE(grow::gpt_width(*grown.model), 8 * k);
            QCOMPARE(grown.model->blocks[0]->as<models::GptBlock>()->attn->heads, 2 * k);
            QVERIFY2(max_diff(grown.model->forward(ids()), before) < 1e-5,
                     ("logits after widening by " + std::to_string(k)).c_str());
            at::AutoGradMode grad_on(true);
            const auto g_old = gradients(*old), g_new = gradients(*grown.model);
            const auto params = old->parameters();
            for (size_t i = 0; i < grown.origins.size(); ++i) {
                const auto& o = grown.origins[i];
                size_t j = 0;
                while (!params[j].is_same(o.source)) ++j;
                const auto expected = o.expand(g_old[j]) * o.grad_scale;
                QVERIFY2(
                    max_diff(g_new[i], expected) < 1e-5 * (1 + expected.abs().max().item<double>()),
                    ("gradient of parameter " + std::to_string(i)).c_str());
            }
        }
        // With noise the copies differ, and the outputs move only a little.
        auto noisy = grow::widen(*old, options(16, 2, 4), 1e-3, gen);
        const double moved = max_diff(noisy.model->forward(ids()), before);
        QVERIFY2(moved > 0 && moved < 0.05, std::to_string(moved).c_str());
    }

    void identityBlocksPreserveTheOutputsAndStackingDoesNot() {
        std::unique_ptr<torch::optim::Optimizer> opt;
        auto old = trained(8, 2, 2, &opt);
        torch::NoGradGuard no_grad;
        const auto before = old->forward(ids());
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        auto identity = grow::deepen(*old, options(8, 5, 2), grow::DeepenMethod::Identity, gen);
        QCOMPARE(grow::gpt_layers(*identity.model), int64_t{5});
        QVERIFY(max_diff(identity.model->forward(ids()), before) < 1e-6);
        auto stacked = grow::deepen(*old, options(8, 4, 2), grow::DeepenMethod::Stack, gen);
        QVERIFY(max_diff(stacked.model->forward(ids()), before) > 1e-3);
        // Block 2 of the stack is a copy of block 0, block 3 of block 1.
        auto* b0 = old->blocks[0]->as<models::GptBlock>();
        auto* b2 = stacked.model->blocks[2]->as<models::GptBlock>();
        QVERIFY(torch::equal(b0->attn->qkv->weight, b2->attn->qkv->weight));
        // Fresh blocks: new sources are undefined, output projections zero, the rest drawn.
        auto* fresh = identity.model->blocks[4]->as<models::GptBlock>();
        QCOMPARE(fresh->attn->proj->weight.abs().sum().item<double>(), 0.0);
        QVERIFY(fresh->attn->qkv->weight.abs().sum().item<double>() > 0);
        int fresh_params = 0;
        for (const auto& o : identity.origins) fresh_params += o.source.defined() ? 0 : 1;
        QCOMPARE(fresh_params, 3 * 12);  // 12 tensors per block
    }

    void optimizerStateFollowsTheGrowth() {
        std::unique_ptr<torch::optim::Optimizer> opt;
        auto old = trained(8, 2, 2, &opt);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
        auto wide = grow::widen(*old, options(16, 2, 4), 0.0, gen);
        torch::optim::Adam wide_opt(wide.model->parameters(), torch::optim::AdamOptions(1e-2));
        grow::carry_state(*opt, wide_opt, wide.origins);
        for (const auto& o : wide.origins) {
            const auto* st = adam_state(wide_opt, o.param);
            const auto* src = adam_state(*opt, o.source);
            QVERIFY(st && src);
            QCOMPARE(st->step(), int64_t{3});
            QCOMPARE(st->exp_avg().sizes(), o.param.sizes());
            QVERIFY(max_diff(st->exp_avg(), o.expand(src->exp_avg()) * o.grad_scale) < 1e-9);
            QVERIFY(max_diff(st->exp_avg_sq(),
                             o.expand(src->exp_avg_sq()) * o.grad_scale * o.grad_scale) < 1e-12);
        }
        // Deeper, with the fused Adam: the old parameters keep their count, the new ones start
        // from zero, and the fused step (one pass per count) equals LibTorch's Adam.
        auto deep = grow::deepen(*wide.model, options(16, 3, 4), grow::DeepenMethod::Identity, gen);
        torch::optim::Adam plain(deep.model->parameters(), torch::optim::AdamOptions(1e-2));
        grow::carry_state(wide_opt, plain, deep.origins);
        auto twin = grow::deepen(*wide.model, options(16, 3, 4), grow::DeepenMethod::Identity, gen);
        {
            torch::NoGradGuard no_grad;
            for (size_t i = 0; i < deep.origins.size(); ++i)
                twin.origins[i].param.copy_(deep.origins[i].param);
        }
        optim::FusedAdam fused(twin.model->parameters(), torch::optim::AdamOptions(1e-2));
        grow::carry_state(wide_opt, fused, twin.origins);
        for (auto* pair : {&deep, &twin}) {
            auto& model = *pair->model;
            auto& o = pair == &deep ? static_cast<torch::optim::Optimizer&>(plain) : fused;
            o.zero_grad();
            auto x = ids();
            model.loss(model.forward(x), x.roll(1, 1)).backward();
            o.step();
        }
        for (size_t i = 0; i < deep.origins.size(); ++i) {
            const auto* st = adam_state(plain, deep.origins[i].param);
            QCOMPARE(st->step(), deep.origins[i].source.defined() ? int64_t{4} : int64_t{1});
            QVERIFY2(max_diff(deep.origins[i].param, twin.origins[i].param) < 1e-6,
                     ("fused vs plain Adam, parameter " + std::to_string(i)).c_str());
        }
    }

    void aRunGrowsOnScheduleWithoutAJump() {
        auto c = tiny_gpt(10);
        c.grow.at_steps = "3,6";
        c.grow.layers = "2,3";
        c.grow.width = "16,32";
        QTemporaryDir dir;
        const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());
        const auto params = r.by_step("model/params");
        QCOMPARE(params.size(), size_t{3});
        QVERIFY(params.at(0) < params.at(3) && params.at(3) < params.at(6));
        QCOMPARE(r.by_step("grow/events").at(6), 2.0);
        const auto before = r.by_step("grow/loss_before"), after = r.by_step("grow/loss_after");
        // Identity blocks: exact. Widening with the default noise: within 1%.
        QVERIFY(std::fabs(after.at(3) - before.at(3)) < 1e-5 * before.at(3));
        QVERIFY(std::fabs(after.at(6) - before.at(6)) < 0.01 * before.at(6));
        bool logged = false;
        for (const auto& e : r.events)
            logged = logged || e.payload.find(
                                   "grew the model after step 6: 2 blocks of width 16 "
                                   "(2 heads) -> 3 blocks of width 32 (4 heads)") == 0;
        QVERIFY(logged);
        QVERIFY(std::isfinite(r.series("loss/val").back()));
    }

    void resumingAcrossAGrowthEqualsAStraightRun() {
        auto c = tiny_gpt(12);
        c.grow.at_steps = "6";
        c.grow.layers = "2";
        c.grow.width = "32";
        c.checkpoint.every_steps = 8;
        QTemporaryDir dir;
        const std::string straight_ck = dir.filePath("straight").toStdString();
        const auto full = test::run_to_end(c, straight_ck);
        const auto straight = full.by_step("loss/train");
        QCOMPARE(straight.size(), size_t{12});
        // Before the growth: 5 steps without a schedule, then resumed with it.
        auto first = c;
        first.train.steps = 5;
        first.grow = api::GrowConfig{};
        const std::string ck = dir.filePath("before").toStdString();
        QVERIFY(test::run_to_end(first, ck).final_status == api::RunStatus::Completed);
        const auto resumed = test::run_to_end(c, ck, /*resume=*/true).by_step("loss/train");
        QCOMPARE(resumed.size(), size_t{7});
        for (const auto& [step, loss] : resumed)
            QVERIFY2(loss == straight.at(step), ("step " + std::to_string(step)).c_str());
        // After it: the straight run's checkpoint at step 8 holds the grown model.
        fs::remove(straight_ck + "/ckpt-12.pt");
        const auto after = test::run_to_end(c, straight_ck, /*resume=*/true);
        const auto tail = after.by_step("loss/train");
        QCOMPARE(tail.size(), size_t{4});
        for (const auto& [step, loss] : tail)
            QVERIFY2(loss == straight.at(step), ("step " + std::to_string(step)).c_str());
        QCOMPARE(after.by_step("model/params").at(8), full.by_step("model/params").at(6));
    }

    void schedulesThatCannotWorkAreConfigErrors() {
        auto c = tiny_gpt(100);
        const auto errors_of = [](const api::RunConfig& cfg) {
            return api::format_errors(cfg.validate());
        };
        c.grow.at_steps = "50";
        c.grow.layers = "0";
        QVERIFY(errors_of(c).find("grow.layers: a growth cannot shrink the model") == 0);
        c.grow.layers = "";
        c.grow.width = "24";
        QVERIFY2(errors_of(c).find("not a multiple of 16") != std::string::npos,
                 errors_of(c).c_str());
        c.grow.width = "32";
        c.grow.at_steps = "50,40";
        c.grow.width = "32,64";
        QVERIFY(errors_of(c).find("steps must increase") != std::string::npos);
        c.grow.at_steps = "150";
        c.grow.width = "32";
        QVERIFY(errors_of(c).find("grow.at_steps: 150 is not between 1 and the last step") == 0);
        c.grow.at_steps = "50";
        c.grow.width = "32,64";
        QVERIFY(errors_of(c).find("2 entries for 1 steps") != std::string::npos);
        c.grow.width = "x";
        QVERIFY(errors_of(c).find("'x' is not a whole number") != std::string::npos);
        c.grow.width = "32";
        QVERIFY2(errors_of(c).empty(), errors_of(c).c_str());
        c.prune.method = "magnitude";
        c.prune.at_step = 20;
        QVERIFY(errors_of(c).find("prune.at_step: pruning starts at step 20, before the last "
                                  "growth at step 50") == 0);
        c.prune.at_step = 60;
        QVERIFY(errors_of(c).empty());
        // Only the language model grows.
        auto gan = test::tiny_preset("gan-mixture2d", 100, 0);
        gan.grow.at_steps = "50";
        gan.grow.width = "256";
        QVERIFY(errors_of(gan).find("grow.at_steps") != std::string::npos);
        // The shape at each step follows the schedule.
        c.prune.method = "none";
        c.grow.at_steps = "10,20";
        c.grow.layers = "2,4";
        c.grow.width = "32,32";
        QCOMPARE(api::shape_at(c, 9), (api::GptShape{1, 16, 2}));
        QCOMPARE(api::shape_at(c, 10), (api::GptShape{2, 32, 4}));
        QCOMPARE(api::shape_at(c, 25), (api::GptShape{4, 32, 4}));
    }
};

QTEST_APPLESS_MAIN(TestGrowth)
#include "test_growth.moc"
