// Presets from resources/presets/: they give exactly the configs the C++ table gave before it
// became files, the file format reports its problems, and users' presets live in XDG_CONFIG_HOME.
#include <QtTest>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/api/paths.h"
#include "engine/api/presets.h"

using namespace wb::api;
using nlohmann::json;

namespace {

json readJson(const QString& path) {
    std::ifstream in(path.toStdString());
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

void writeText(const QString& path, const std::string& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    std::ofstream(path.toStdString()) << text;
}

}  // namespace

class TestPresets final : public QObject {
    Q_OBJECT

    QTemporaryDir m_config;
    QString presetsDir() const { return m_config.filePath("genai-workbench/presets"); }

private slots:
    void initTestCase() {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8());
    }

    // tests/api/data/presets_before/ holds each preset's whole RunConfig as the C++ preset table
    // produced it. A key added to RunConfig later takes its default in both.
    void builtInPresetsGiveTheConfigsTheyGaveBefore() {
        const QDir before(QStringLiteral(WB_SOURCE_DIR "/tests/api/data/presets_before"));
        const QStringList files = before.entryList({QStringLiteral("*.json")}, QDir::Files);
        QCOMPARE(files.size(), 5);
        for (const QString& file : files) {
            const std::string name = QFileInfo(file).completeBaseName().toStdString();
            const Preset* p = find_preset(name);
            QVERIFY2(p, name.c_str());
            std::vector<ConfigError> errors;
            const RunConfig expected =
                RunConfig::from_json(readJson(before.filePath(file)), &errors);
            QVERIFY2(errors.empty(), format_errors(errors).c_str());
            QCOMPARE(QString::fromStdString(p->config.to_json().dump(2)),
                     QString::fromStdString(expected.to_json().dump(2)));
            QVERIFY(!p->description.empty());
            QVERIFY(p->path.empty());
        }
        QCOMPARE(presets().front().name, std::string(kDefaultPreset));
    }

    void everyResourceFileIsBuiltIn() {
        const QDir dir(QStringLiteral(WB_SOURCE_DIR "/resources/presets"));
        const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files);
        QCOMPARE(static_cast<std::size_t>(files.size()), presets().size());
        for (const QString& file : files)
            QVERIFY2(find_preset(QFileInfo(file).completeBaseName().toStdString()),
                     qPrintable(file));
    }

    void fileFormatProblemsNameTheFile() {
        std::string error;
        QVERIFY(!parse_preset("{", "a.json", &error));
        QCOMPARE(error, std::string("a.json: not valid JSON"));
        QVERIFY(!parse_preset(R"({"name": "x"})", "b.json", &error));
        QVERIFY2(error.find("b.json: \"overlay\" must be an object") == 0, error.c_str());
        QVERIFY(!parse_preset(R"({"overlay": {}})", "c.json", &error));
        QVERIFY2(error.find("c.json: \"name\" must be") == 0, error.c_str());
        QVERIFY(!parse_preset(R"({"name": "x", "overlay": {}, "extra": 1})", "d.json", &error));
        QVERIFY2(error.find("unknown key 'extra'") != std::string::npos, error.c_str());
        QVERIFY(!parse_preset(R"({"name": "x", "overlay": {"train": {"steps": -3}}})", "e.json",
                              &error));
        QVERIFY2(error.find("e.json: invalid overlay") == 0, error.c_str());
        QVERIFY2(error.find("train.steps") != std::string::npos, error.c_str());
        const auto ok =
            parse_preset(R"({"name": "x", "overlay": {"train": {"steps": 7}}})", "f.json", &error);
        QVERIFY(ok);
        QCOMPARE(ok->config.train.steps, int64_t{7});
        QCOMPARE(ok->description, std::string());
    }

    void savedPresetIsListedAndLoadsTheSameConfig() {
        QCOMPARE(QString::fromStdString(user_presets_dir()), presetsDir());
        Preset mine;
        mine.name = "my ring/8";
        mine.description = "wider ring";
        mine.config = find_preset(kDefaultPreset)->config;
        mine.config.data.radius = 3.5;
        std::string error;
        const std::string path = save_user_preset(mine, &error);
        QVERIFY2(!path.empty(), error.c_str());
        QCOMPARE(QString::fromStdString(path), presetsDir() + "/my ring-8.json");
        const auto listed = user_presets();
        QCOMPARE(listed.size(), std::size_t{1});
        QCOMPARE(listed[0].name, mine.name);
        QCOMPARE(listed[0].path, path);
        QCOMPARE(listed[0].config.to_json(), mine.config.to_json());
        const auto byName = resolve_preset("my ring/8", &error);
        QVERIFY2(byName, error.c_str());
        QCOMPARE(byName->config.data.radius, 3.5);
        const auto byFile = resolve_preset(path, &error);
        QVERIFY2(byFile, error.c_str());
        QCOMPARE(byFile->name, mine.name);
        QVERIFY(QFile::remove(QString::fromStdString(path)));
    }

    void userPresetsCannotShadowBuiltIns() {
        Preset clash;
        clash.name = kDefaultPreset;
        std::string error;
        QVERIFY(save_user_preset(clash, &error).empty());
        QVERIFY2(error.find("built-in preset") != std::string::npos, error.c_str());

        writeText(presetsDir() + "/clash.json",
                  R"({"name": "gpt-char", "overlay": {"train": {"steps": 3}}})");
        writeText(presetsDir() + "/broken.json", "{ not json");
        std::vector<std::string> problems;
        QVERIFY(user_presets(&problems).empty());
        QCOMPARE(problems.size(), std::size_t{2});
        QVERIFY2(problems[0].find("broken.json: not valid JSON") != std::string::npos,
                 problems[0].c_str());
        QVERIFY2(problems[1].find("'gpt-char' is a built-in preset's name") != std::string::npos,
                 problems[1].c_str());
        const auto builtIn = resolve_preset("gpt-char", &error);
        QCOMPARE(builtIn->config.to_json(), find_preset("gpt-char")->config.to_json());
        QVERIFY(QDir(presetsDir()).removeRecursively());
    }

    void unknownNameListsWhatExists() {
        std::string error;
        QVERIFY(!resolve_preset("nope", &error));
        QVERIFY2(error.find("no preset 'nope'") == 0, error.c_str());
        QVERIFY(error.find("gan-mixture2d") != std::string::npos);
        QVERIFY(error.find("--preset FILE.json") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestPresets)
#include "test_presets.moc"
