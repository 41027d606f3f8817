// The model registry: every family the contract names is registered, its layouts name real
// tensors of the networks it builds, and export builds the deployed network from the registry
// alone: a run whose data is gone still exports, pruned units removed.
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/api/model_kinds.h"
#include "engine/export/model_export.h"
#include "engine/train/model_registry.h"
#include "engine_test_util.h"

// Qt last: its `slots` macro would break LibTorch headers included after it.
#include <QTemporaryDir>
#include <QtTest>

using namespace wb;
namespace fs = std::filesystem;

namespace {

// A layout name as its network's module names it: a family with several networks prefixes
// them with the network's name ("g.net.3"), a single network does not ("blocks.0.attn.qkv").
std::string local_name(const engine::ModelFamily& f, const std::string& net,
                       const std::string& name) {
    if (f.networks.size() == 1) return name;
    const std::string prefix = net + ".";
    if (name.rfind(prefix, 0) != 0) return "<" + name + " lacks the prefix " + prefix + ">";
    return name.substr(prefix.size());
}

}  // namespace

class TestModelRegistry final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void everyContractKindIsRegisteredInOrder() {
        std::vector<std::string> registered;
        for (const auto& f : engine::model_families()) registered.push_back(f.kind->name);
        QCOMPARE(registered, api::model_kind_names());
        for (const auto& f : engine::model_families()) {
            const auto& nets = f.networks;
            QVERIFY2(std::find(nets.begin(), nets.end(), f.deployed()) != nets.end(),
                     f.kind->name.c_str());
        }
        try {
            engine::model_family("unet");
            QFAIL("an unknown kind was found");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(std::string(e.what()).find("use one of gan_mlp") != std::string::npos,
                     e.what());
        }
    }

    void layoutsNameTheTensorsOfTheNetworksBuilt() {
        for (const auto& f : engine::model_families()) {
            api::RunConfig c;
            c.model.kind = f.kind->name;
            c.model.width = 16;
            for (const auto& net : f.networks) {
                const auto n = f.build(c, net, models::DataDims{40});
                std::set<std::string> tensors;
                for (const auto& p : n.module->named_parameters()) tensors.insert(p.key());
                for (const auto& b : n.module->named_buffers()) tensors.insert(b.key());
                const auto layout = n.layout();
                QVERIFY2(!layout.layers.empty(), (f.kind->name + " " + net).c_str());
                for (const auto& l : layout.layers) {
                    const auto name = local_name(f, net, l.name) + ".weight";
                    QVERIFY2(tensors.count(name), (f.kind->name + ": " + name).c_str());
                }
                for (const auto& g : layout.groups)
                    for (const auto& s : g.slices)
                        QVERIFY2(tensors.count(local_name(f, net, s.name)),
                                 (f.kind->name + ": " + s.name).c_str());
            }
        }
    }

    void aGptExportsWithoutItsCorpusPrunedHeadsRemoved() {
        QTemporaryDir dir;
        const std::string corpus = dir.filePath("corpus.txt").toStdString();
        {
            std::ofstream out(corpus);
            for (int i = 0; i < 200; ++i)
                out << "the quick brown fox jumps over the lazy dog " << i << "\n";
        }
        auto c = test::tiny_preset("gpt-char", 4, 0);
        c.data.path = corpus;
        c.model.width = 32;
        c.model.heads = 4;
        c.model.layers = 1;
        c.model.context = 16;
        c.prune.method = "channel";
        c.prune.schedule = "oneshot";
        c.prune.at_step = 2;
        c.prune.target = 0.5;
        c.checkpoint.every_steps = 4;
        const std::string ck = dir.filePath("ck").toStdString();
        const auto r = test::run_to_end(c, ck);
        QVERIFY2(r.final_status == api::RunStatus::Completed, r.message.c_str());

        fs::remove(corpus);  // export reads no data: the vocabulary comes from the checkpoint
        const std::string out = dir.filePath("gpt.pt").toStdString();
        const auto exported = engine::export_model(c, ck, out, false);
        QCOMPARE(exported.step, int64_t{4});
        const auto shapes = nlohmann::json::parse(std::ifstream(exported.shapes_path))["tensors"];
        // 26 letters... as the corpus had them: the vocabulary is the distinct characters.
        std::set<char> chars;
        for (char ch : std::string("the quick brown fox jumps over the lazy dog 0123456789\n"))
            chars.insert(ch);
        QCOMPARE(shapes["tok.weight"][0].get<int64_t>(), static_cast<int64_t>(chars.size()));
        // Pruned heads (8 wide) and MLP neurons are gone from the written model, and what is
        // left still fits together.
        const int64_t qkv = shapes["blocks.0.attn.qkv.weight"][0].get<int64_t>();
        const int64_t fc1 = shapes["blocks.0.mlp.0.weight"][0].get<int64_t>();
        QVERIFY2(qkv % 24 == 0 && qkv >= 24, std::to_string(qkv).c_str());
        QCOMPARE(shapes["blocks.0.attn.proj.weight"][1].get<int64_t>(), qkv / 3);
        QCOMPARE(shapes["blocks.0.mlp.2.weight"][1].get<int64_t>(), fc1);
        QVERIFY2(qkv < 3 * 32 || fc1 < 4 * 32,
                 (std::to_string(qkv) + " " + std::to_string(fc1)).c_str());
        // Fewer parameters than the same GPT unpruned.
        const auto dense = models::make_gpt(c, models::DataDims{static_cast<int64_t>(chars.size())});
        QVERIFY(exported.parameters < engine::parameter_count(*dense));
    }
};

QTEST_APPLESS_MAIN(TestModelRegistry)
#include "test_model_registry.moc"
