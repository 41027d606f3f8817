// Sparse attention: each pattern's blocked computation against dense attention under the same
// mask, forward and gradients (fp32, 1e-5), with contexts that are not a multiple of the block;
// the patterns' definition; and a GPT that trains and samples with each.
#include <cmath>

#include "engine/api/attention_pattern.h"
#include "engine/models/gpt.h"
#include "engine/models/sparse_attention.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

using namespace wb;
using Kind = api::AttentionPattern::Kind;

namespace {

api::AttentionPattern window(int64_t w) {
    api::AttentionPattern p;
    p.kind = Kind::Window;
    p.window = w;
    return p;
}

api::AttentionPattern block(int64_t l, int64_t summary, int64_t global) {
    api::AttentionPattern p;
    p.kind = Kind::Block;
    p.block = l;
    p.summary = summary;
    p.global = global;
    return p;
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a - b).abs().max().item<double>();
}

// Forward and the gradients of q, k and v of a random upstream gradient, both ways.
void check_against_dense(const api::AttentionPattern& p, int64_t T) {
    torch::manual_seed(T * 31 + p.window + p.block);
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    auto q = torch::randn({2, 3, T, 8}, opts), k = torch::randn({2, 3, T, 8}, opts),
         v = torch::randn({2, 3, T, 8}, opts), up = torch::randn({2, 3, T, 8}, opts);
    std::vector<torch::Tensor> grads[2];
    torch::Tensor out[2];
    for (int way = 0; way < 2; ++way) {
        auto qq = q.clone().requires_grad_(), kk = k.clone().requires_grad_(),
             vv = v.clone().requires_grad_();
        out[way] = way == 0 ? models::pattern_attention(qq, kk, vv, p)
                            : models::masked_dense_attention(qq, kk, vv, p);
        (out[way] * up).sum().backward();
        grads[way] = {qq.grad(), kk.grad(), vv.grad()};
    }
    const std::string what = p.describe() + " at T=" + std::to_string(T);
    QVERIFY2(max_diff(out[0], out[1]) < 1e-5, ("forward, " + what).c_str());
    for (int i = 0; i < 3; ++i)
        QVERIFY2(max_diff(grads[0][i], grads[1][i]) < 1e-5,
                 ("gradient " + std::to_string(i) + ", " + what).c_str());
}

}  // namespace

class TestSparseAttention final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void windowKeepsExactlyTheLastPositions() {
        const auto p = window(4);
        QVERIFY(p.keeps(10, 10) && p.keeps(10, 7));
        QVERIFY(!p.keeps(10, 6) && !p.keeps(10, 11));
        QCOMPARE(p.keys_per_query(1024), int64_t{8});
        // T=8, w=4: rows keep 1, 2, 3, 4, 4, 4, 4, 4 of the 36 causal pairs.
        QCOMPARE(p.kept_fraction(8), 26.0 / 36.0);
    }

    void blockKeepsItsBlockSummariesAndGlobals() {
        const auto p = block(4, 1, 1);
        QVERIFY(p.keeps(9, 8) && p.keeps(9, 9));    // own block
        QVERIFY(p.keeps(9, 3) && p.keeps(9, 7));    // last position of blocks 0 and 1
        QVERIFY(!p.keeps(9, 5) && !p.keeps(9, 6));  // the rest of block 1
        QVERIFY(p.keeps(9, 0) && !p.keeps(9, 1));   // one global token
        QVERIFY(!p.keeps(9, 10));                   // causal
        QCOMPARE(p.describe(), std::string("block 4 (+1 summary, 1 global)"));
    }

    void keptShareAgreesWithTheMask() {
        for (auto p : {window(5), block(4, 0, 0), block(4, 1, 6), block(8, 3, 20), block(4, 4, 2)})
            for (int64_t T : {1, 7, 16, 45}) {
                const auto m = p.mask(T);
                int64_t kept = 0;
                for (auto b : m) kept += b;
                QCOMPARE(p.kept_fraction(T), static_cast<double>(kept) / (T * (T + 1) / 2.0));
            }
    }

    void windowMatchesDenseForwardAndBackward() {
        for (int64_t T : {1, 5, 16, 37})
            for (int64_t w : {1, 4, 8, 16}) check_against_dense(window(w), T);
    }

    void blockMatchesDenseForwardAndBackward() {
        for (int64_t T : {3, 16, 37})
            for (auto p : {block(4, 0, 0), block(4, 1, 0), block(8, 2, 3), block(4, 3, 9)})
                check_against_dense(p, T);
    }

    void denseIsUnchanged() {
        // The GPT keeps its own dense path; the reference with a dense pattern is plain causal.
        const auto p = api::AttentionPattern{};
        auto m = p.mask(3);
        QCOMPARE(std::vector<int>(m.begin(), m.end()),
                 (std::vector<int>{1, 0, 0, 1, 1, 0, 1, 1, 1}));
    }

    void aGptTrainsAndSamplesWithEachPattern() {
        for (const char* kind : {"window", "block"}) {
            auto c = test::tiny_preset("gpt-char", 6, 3);
            c.model.width = 32;
            c.model.layers = 1;
            c.model.context = 32;
            c.model.attention = kind;
            c.model.window = 8;
            c.model.block_size = 8;
            c.model.summary_tokens = 2;
            c.model.global_tokens = 1;
            c.sample.every_steps = 6;
            QTemporaryDir dir;
            const auto r = test::run_to_end(c, dir.filePath("ck").toStdString());
            QVERIFY2(r.final_status == api::RunStatus::Completed,
                     (kind + (": " + r.message)).c_str());
            const auto val = r.series("loss/val");
            QVERIFY(!val.empty() && std::isfinite(val.back()));
            bool said = false, sampled = false;
            for (const auto& e : r.events) {
                said =
                    said || (e.kind == api::EventKind::Log &&
                             e.payload.find("attention " + std::string(kind)) != std::string::npos);
                sampled = sampled || e.kind == api::EventKind::Sample;
            }
            QVERIFY2(said, kind);
            QVERIFY2(sampled, kind);
        }
    }

    void badPatternsAreConfigErrors() {
        auto c = test::tiny_preset("gpt-char", 6, 3);
        c.model.context = 64;
        c.model.attention = "window";
        c.model.window = 65;
        auto errors = c.validate();
        QVERIFY(api::format_errors(errors).find("model.window") != std::string::npos);
        c.model.attention = "block";
        c.model.block_size = 24;
        c.model.summary_tokens = 24;
        const auto text = api::format_errors(c.validate());
        QVERIFY2(text.find("must be divisible by the block size 24") != std::string::npos,
                 text.c_str());
        QVERIFY2(text.find("model.summary_tokens") != std::string::npos, text.c_str());
    }
};

QTEST_APPLESS_MAIN(TestSparseAttention)
#include "test_sparse_attention.moc"
