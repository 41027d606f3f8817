// The metric catalog: every metric name the engine's sources report has a row, directions and
// units are right where the UI used to guess them wrong, and meanings depend on the model family.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "engine/api/metric_catalog.h"
#include "engine/api/run_event.h"

using namespace wb::api;

namespace {

// Every "namespace/name" string literal in the engine's sources but the catalog's own files.
std::set<std::string> literalsInEngine() {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(WB_SOURCE_DIR) / "engine";
    const std::regex literal(R"re("([a-z_]+/[a-z_0-9]*)")re");
    std::set<std::string> names;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        const auto ext = entry.path().extension();
        if ((ext != ".cpp" && ext != ".h") || entry.path().stem() == "metric_catalog") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const std::string s = text.str();
        for (std::sregex_iterator it(s.begin(), s.end(), literal), end; it != end; ++it)
            names.insert((*it)[1].str());
    }
    for (const char* sample_kind : {kSamplePng, kSampleText, kSamplePoints})
        names.erase(sample_kind);
    return names;
}

}  // namespace

class TestMetricCatalog final : public QObject {
    Q_OBJECT

private slots:
    void everyNameInTheEngineSourcesHasARow() {
        const auto names = literalsInEngine();
        QVERIFY2(names.size() > 40, "the scan found too few metric names; is WB_SOURCE_DIR set?");
        for (const auto& name : names) {
            bool found = false;
            if (name.back() == '_') {  // a prefix completed at run time (grad/norm_ + "g")
                for (const auto& m : metric_catalog()) found = found || m.name == name;
            } else {
                for (const char* kind : {"gan_mlp", "dcgan", "progan", "vae", "gpt"})
                    found = found || find_metric(name, kind) != nullptr;
            }
            QVERIFY2(found, (name + " is reported by the engine but has no row in "
                                    "engine/api/metric_catalog.cpp")
                                .c_str());
        }
    }

    void rowsAreUniqueAndExplained() {
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& m : metric_catalog()) {
            QVERIFY2(seen.insert({m.name, m.family}).second, m.name.c_str());
            QVERIFY2(!m.meaning.empty(), m.name.c_str());
            QVERIFY2(m.family.empty() || m.family == "gan" || m.family == "vae" || m.family == "lm",
                     m.name.c_str());
        }
    }

    void directionsTheUiUsedToGuessWrong() {
        QCOMPARE(find_metric("quality/kid", "dcgan")->better, Better::Lower);
        QCOMPARE(find_metric("quality/fid", "progan")->better, Better::Lower);
        QCOMPARE(find_metric("time/step_ms")->better, Better::Lower);
        QCOMPARE(find_metric("quality/modes_covered", "gan_mlp")->better, Better::Higher);
        QCOMPARE(find_metric("throughput/tokens_per_s", "gpt")->better, Better::Higher);
        for (const char* gan_loss : {"loss/g", "loss/d", "loss/gp"})
            QCOMPARE(find_metric(gan_loss, "dcgan")->better, Better::None);
        QCOMPARE(find_metric("loss/val", "gpt")->better, Better::Lower);
        QCOMPARE(std::string(to_string(Better::None)), std::string("no better direction"));
    }

    void unitsAndGroups() {
        QCOMPARE(find_metric("memory/peak_bytes")->unit, std::string("bytes"));
        QCOMPARE(find_metric("memory/peak_bytes")->group, PlotGroup::Memory);
        QCOMPARE(find_metric("throughput/samples_per_s", "vae")->unit, std::string("samples/s"));
        QCOMPARE(find_metric("throughput/tokens_per_s", "gpt")->unit, std::string("tokens/s"));
        QCOMPARE(find_metric("throughput/tokens_per_s", "gpt")->group, PlotGroup::Throughput);
        QCOMPARE(find_metric("time/step_ms")->unit, std::string("ms"));
        QCOMPARE(find_metric("grad/norm_d", "dcgan")->name, std::string("grad/norm_"));
        QCOMPARE(find_metric("grad/norm", "vae")->name, std::string("grad/norm"));
        QVERIFY(find_metric("grad/norm_", "dcgan") == nullptr);
        QVERIFY(find_metric("custom/thing") == nullptr);
    }

    void meaningsDependOnTheFamily() {
        QCOMPARE(model_family("dcgan"), std::string("gan"));
        QCOMPARE(model_family("gpt"), std::string("lm"));
        QCOMPARE(model_family("nonsense"), std::string());
        QCOMPARE(find_metric("loss/train", "gpt")->unit, std::string("nats/token"));
        QCOMPARE(find_metric("loss/train", "vae")->unit, std::string("nats/image"));
        QVERIFY(find_metric("loss/train", "dcgan") == nullptr);  // a GAN reports loss/g, loss/d
        QVERIFY(find_metric("loss/train", "") != nullptr);       // a run of unknown model
        QCOMPARE(find_metric("loss/train", "")->group, PlotGroup::Loss);
    }

    void sameMeaning() {
        QVERIFY(same_meaning("loss/g", "gan_mlp", "loss/g", "dcgan"));
        QVERIFY(same_meaning("quality/fid", "dcgan", "quality/fid", "progan"));
        QVERIFY(same_meaning("memory/peak_bytes", "gpt", "memory/peak_bytes", "vae"));
        // A GAN's sample is an image or a point, a GPT's a window of text.
        QVERIFY(!same_meaning("throughput/samples_per_s", "gpt", "throughput/samples_per_s",
                              "gan_mlp"));
        QVERIFY(same_meaning("throughput/samples_per_s", "dcgan", "throughput/samples_per_s",
                             "progan"));
        QVERIFY(!same_meaning("loss/val", "gpt", "loss/val", "vae"));
        QVERIFY(!same_meaning("loss/val", "gpt", "loss/g", "dcgan"));
        QVERIFY(!same_meaning("", "gpt", "", "gpt"));
        QVERIFY(same_meaning("custom/x", "gpt", "custom/x", "gpt"));
        QVERIFY(!same_meaning("custom/x", "gpt", "custom/x", "dcgan"));
    }
};

QTEST_GUILESS_MAIN(TestMetricCatalog)
#include "test_metric_catalog.moc"
