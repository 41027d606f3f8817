// RunConfig, schema and presets: JSON round trip, text setters and validation messages.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "engine/api/preflight.h"
#include "engine/api/presets.h"
#include "engine/api/run_event.h"
#include "engine/api/schema.h"

using namespace wb::api;

class TestRunConfig final : public QObject {
    Q_OBJECT

private slots:
    void defaultsAreValid() { QVERIFY(RunConfig{}.validate().empty()); }

    void jsonRoundTripKeepsEveryField() {
        RunConfig c;
        std::vector<ConfigError> errors;
        QVERIFY(c.set("train.steps", "1234", &errors));
        QVERIFY(c.set("optim.lr", "3e-4", &errors));
        QVERIFY(c.set("model.kind", "gpt", &errors));
        QVERIFY(c.set("data.name", "text", &errors));
        QVERIFY(c.set("data.path", "/tmp/corpus.txt", &errors));
        QVERIFY(errors.empty());
        const auto j = c.to_json();
        QCOMPARE(j["train"]["steps"].get<int64_t>(), int64_t{1234});
        QCOMPARE(j["optim"]["lr"].get<double>(), 3e-4);
        RunConfig back = RunConfig::from_json(nlohmann::json::parse(j.dump()), &errors);
        QVERIFY(errors.empty());
        QVERIFY(back == c);
        QCOMPARE(back.data.path, std::string("/tmp/corpus.txt"));
    }

    void schemaCoversTheStableKeys() {
        for (const char* key :
             {"model.kind", "data.name", "data.path", "train.steps", "train.batch_size",
              "train.seed", "train.threads", "optim.name", "optim.lr", "device",
              "checkpoint.every_steps", "eval.every_steps", "sample.every_steps"}) {
            const FieldSpec* f = find_field(key);
            QVERIFY2(f, key);
            QVERIFY2(!f->label.empty() && f->help.size() > 30, key);
        }
        QCOMPARE(find_field("model.kind")->choices,
                 (std::vector<std::string>{"gan_mlp", "dcgan", "progan", "vae", "gpt"}));
        QCOMPARE(find_field("device")->choices, (std::vector<std::string>{"auto", "cpu", "cuda"}));
        // Every field's section is a declared section, so the UI can group it.
        for (const auto& f : schema()) {
            bool known = false;
            for (const auto& s : sections()) known = known || s.name == f.section;
            QVERIFY2(known, f.path.c_str());
        }
        const auto j = schema_json();
        QCOMPARE(j["fields"].size(), schema().size());
        QCOMPARE(j["fields"][0]["path"].get<std::string>(), std::string("model.kind"));
    }

    void everyFieldSaysWhereItApplies() {
        const auto j = schema_json();
        for (const auto& f : j["fields"]) {
            QVERIFY2(f.contains("applies_to"), f["path"].dump().c_str());
            QVERIFY(!f["applies_to"]["models"].empty());
            if (f["applies_to"].contains("when"))
                QVERIFY(find_field(f["applies_to"]["when"]["field"].get<std::string>()));
        }
        const auto* heads = find_field("model.heads");
        QVERIFY(heads->applies_to_model("gpt") && !heads->applies_to_model("dcgan"));
        RunConfig c = find_preset("dcgan-fashion")->config;
        QVERIFY(!find_field("sampler.alpha")->applies(c));
        c.sampler.kind = "hard";
        QVERIFY(find_field("sampler.alpha")->applies(c));
        // A condition on a field that does not apply does not hold either.
        c.prune.schedule = "gradual";
        QVERIFY(!find_field("prune.end_step")->applies(c));
        c.prune.method = "magnitude";
        QVERIFY(find_field("prune.end_step")->applies(c));
    }

    void aSettingThatDoesNothingIsAnError() {
        RunConfig c = find_preset("dcgan-fashion")->config;
        c.model.heads = 8;
        const auto errors = c.validate();
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("model.heads"));
        QVERIFY2(errors[0].message.find("no effect on model.kind 'dcgan': it applies to gpt") !=
                     std::string::npos,
                 errors[0].message.c_str());
        for (const auto& p : presets()) QVERIFY2(p.config.validate().empty(), p.name.c_str());
    }

    void validateReportsEveryProblemAtOnce() {
        RunConfig c;
        c.train.steps = 0;
        c.train.batch_size = -5;
        c.optim.lr = 50;
        c.model.kind = "dcgan";  // with data.name mixture2d: a mismatch
        c.device = "tpu";
        const auto errors = c.validate();
        auto has = [&](const std::string& path, const std::string& part) {
            for (const auto& e : errors)
                if (e.path == path && e.message.find(part) != std::string::npos) return true;
            return false;
        };
        QCOMPARE(errors.size(), std::size_t{5});
        QVERIFY(has("train.steps", "out of range [1, 1e+07]"));
        QVERIFY(has("train.batch_size", "-5"));
        QVERIFY(has("optim.lr", "50"));
        QVERIFY(has("device", "'tpu' is not one of: auto, cpu, cuda"));
        QVERIFY(has("data.name", "use data.name=fashion_mnist"));
        const std::string text = format_errors(errors);
        QVERIFY(text.find("train.steps: ") == 0);
    }

    void gptWidthMustDivideByHeads() {
        RunConfig c = find_preset("gpt-char")->config;
        c.model.width = 130;
        c.model.heads = 4;
        const auto errors = c.validate();
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("model.heads"));
    }

    void ganControlCombinations() {
        auto only = [](const RunConfig& c, const std::string& path, const std::string& part) {
            const auto errors = c.validate();
            return errors.size() == 1 && errors[0].path == path &&
                   errors[0].message.find(part) != std::string::npos;
        };
        RunConfig grow = find_preset("dcgan-fashion")->config;
        grow.progressive.enabled = true;
        QVERIFY(only(grow, "progressive.enabled", "model.kind=progan"));
        RunConfig aug = find_preset("progan-fashion")->config;
        aug.augment.diff = "color,flip";
        QVERIFY(only(aug, "augment.diff", "'flip' is not an augmentation"));
        aug.augment.diff = "color, cutout";
        QVERIFY(aug.validate().empty());
        RunConfig points = find_preset("gan-mixture2d")->config;
        points.augment.diff = "translation";
        QVERIFY(only(points, "augment.diff", "it applies to dcgan and progan"));
        RunConfig ratio = find_preset("dcgan-fashion")->config;
        ratio.gan.d_steps_adaptive = true;
        ratio.gan.d_steps_per_g = 4;
        ratio.gan.d_steps_max = 3;
        QVERIFY(only(ratio, "gan.d_steps_max", "below gan.d_steps_per_g 4"));
        RunConfig packed = find_preset("progan-fashion")->config;
        packed.gan.pack = 4;
        packed.progressive.batch_8 = 30;
        QVERIFY(only(packed, "progressive.batch_8", "divisible by gan.pack 4"));
        RunConfig loss = find_preset("dcgan-fashion")->config;
        loss.gan.loss = "lsgan";
        QVERIFY(only(loss, "gan.loss", "non_saturating, hinge, wgan_gp"));
    }

    void ganPackMustDivideTheBatch() {
        RunConfig c = find_preset("gan-mixture2d")->config;
        c.train.batch_size = 250;
        c.gan.pack = 4;
        const auto errors = c.validate();
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("gan.pack"));
    }

    void pruneRejectsImpossibleCombinations() {
        RunConfig c = find_preset("gpt-char")->config;
        c.train.steps = 400;
        c.prune.method = "2:4";
        c.prune.target = 0.8;
        c.prune.scope = "global";
        c.prune.schedule = "gradual";
        c.prune.start_step = 300;
        c.prune.end_step = 200;
        c.prune.initial = 0.9;
        const auto errors = c.validate();
        auto has = [&](const std::string& path, const std::string& text) {
            for (const auto& e : errors)
                if (e.path == path && e.message.find(text) != std::string::npos) return true;
            return false;
        };
        QVERIFY(has("prune.target", "set prune.target=0.5"));
        QVERIFY(has("prune.scope", "set prune.scope=layer"));
        QVERIFY(has("prune.schedule", "set prune.schedule=oneshot"));
        QVERIFY(has("prune.end_step", "must be after prune.start_step (300)"));
        QVERIFY(has("prune.initial", "must not exceed prune.target"));
        QCOMPARE(errors.size(), std::size_t{5});

        RunConfig pro = find_preset("progan-fashion")->config;
        pro.prune.method = "magnitude";
        pro.prune.at_step = 10;
        QVERIFY(pro.validate().empty());
        pro.prune.method = "channel";
        QCOMPARE(pro.validate().size(), std::size_t{1});
        QCOMPARE(pro.validate()[0].path, std::string("prune.method"));
        QVERIFY(pro.validate()[0].message.find("use magnitude or 2:4") != std::string::npos);

        RunConfig late = find_preset("gpt-char")->config;
        late.prune.method = "magnitude";
        late.prune.at_step = late.train.steps + 1;
        QCOMPARE(late.validate().size(), std::size_t{1});
        QCOMPARE(late.validate()[0].path, std::string("prune.at_step"));
        late.prune.schedule = "gradual";
        late.prune.end_step = late.train.steps + 10;
        QCOMPARE(late.validate().size(), std::size_t{1});
        QCOMPARE(late.validate()[0].path, std::string("prune.end_step"));
        late.prune.method = "none";  // the prune section is not checked when pruning is off
        QVERIFY(late.validate().empty());
    }

    void samplersAndAugmentationMustFitTheModel() {
        RunConfig gan = find_preset("gan-mixture2d")->config;
        gan.sampler.kind = "hard";
        auto errors = gan.validate();
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("sampler.kind"));
        QVERIFY(errors[0].message.find("sampler.kind=uniform") != std::string::npos);
        gan.sampler.kind = "uniform";
        QVERIFY(gan.validate().empty());

        RunConfig vae = find_preset("vae-fashion")->config;
        vae.sampler.kind = "curriculum";
        vae.augment.flip = true;
        vae.augment.cutout = 8;
        QVERIFY(vae.validate().empty());
        vae.augment.text_delete = 0.05;
        errors = vae.validate();
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("augment.text_delete"));

        RunConfig gpt = find_preset("gpt-char")->config;
        gpt.sampler.kind = "hard";
        gpt.augment.text_substitute = 0.02;
        QVERIFY(gpt.validate().empty());
        gpt.augment.translate = 2;
        errors = gpt.validate();
        QCOMPARE(errors.size(), std::size_t{1});
        QCOMPARE(errors[0].path, std::string("augment.translate"));
        QVERIFY(errors[0].message.find("dcgan, progan and vae") != std::string::npos);

        RunConfig bad;
        std::vector<ConfigError> set_errors;
        QVERIFY(bad.set("sampler.pacing", "cubic", &set_errors));
        QVERIFY(bad.set("sampler.uniform_mix", "1.5", &set_errors));
        errors = bad.validate();
        QCOMPARE(errors.size(), std::size_t{2});
        QVERIFY(bad.set("augment.flip", "on", &set_errors));
        QVERIFY(bad.augment.flip);
    }

    // A step after the run's end is allowed (a later Continue may reach it) but worth a warning.
    void stepsAfterTheEndAreWarnings() {
        RunConfig c = find_preset("gpt-char")->config;
        QVERIFY(config_warnings(c).empty());
        c.sampler.kind = "curriculum";
        c.sampler.full_at_step = c.train.steps + 1;
        c.sampler.stale_after = c.train.steps + 1;  // not a hard sampler: no warning for it
        QVERIFY(c.validate().empty());
        auto w = config_warnings(c);
        QCOMPARE(w.size(), std::size_t{1});
        QCOMPARE(w[0].path, std::string("sampler.full_at_step"));
        QVERIFY(w[0].message.find("after the last step (train.steps") != std::string::npos);
        c.sampler.kind = "hard";
        w = config_warnings(c);
        QCOMPARE(w.size(), std::size_t{1});
        QCOMPARE(w[0].path, std::string("sampler.stale_after"));
        c.train.steps = c.sampler.stale_after;
        QVERIFY(config_warnings(c).empty());
    }

    void missingDataPathsAreFoundBeforeARunExists() {
        QTemporaryDir dir;
        RunConfig images = find_preset("dcgan-fashion")->config;
        images.data.path = dir.path().toStdString();
        QVERIFY(data_path_problems(images).empty());  // contents are the reader's business
        images.data.path = dir.filePath("gone").toStdString();
        auto p = data_path_problems(images);
        QCOMPARE(p.size(), std::size_t{1});
        QCOMPARE(p[0].path, std::string("data.path"));
        QVERIFY(p[0].message.find("gone: no such folder") != std::string::npos);
        RunConfig text = find_preset("gpt-char")->config;
        QFile corpus(dir.filePath("corpus.txt"));
        QVERIFY(corpus.open(QIODevice::WriteOnly));
        corpus.close();
        text.data.path = corpus.fileName().toStdString();
        QVERIFY(data_path_problems(text).empty());
        text.data.path = dir.filePath("nope.txt").toStdString();
        QVERIFY(data_path_problems(text)[0].message.find("no such file or folder") !=
                std::string::npos);
        images.data.path = corpus.fileName().toStdString();  // a file where a folder belongs
        QVERIFY(data_path_problems(images)[0].message.find("is not a folder") != std::string::npos);
        QVERIFY(data_path_problems(find_preset("gan-mixture2d")->config).empty());
    }

    void fromJsonRejectsUnknownKeysAndWrongTypes() {
        std::vector<ConfigError> errors;
        auto j = nlohmann::json::parse(
            R"({"train": {"steps": "many", "batch": 3, "seed": 7}, "optim": {"lr": 0.5}})");
        RunConfig c = RunConfig::from_json(j, &errors);
        QCOMPARE(errors.size(), std::size_t{2});
        // nlohmann::json keeps keys sorted: train.batch comes before train.steps.
        QCOMPARE(errors[0].path, std::string("train.batch"));
        QVERIFY(errors[0].message.find("unknown key") != std::string::npos);
        QCOMPARE(errors[1].path, std::string("train.steps"));
        QVERIFY(errors[1].message.find("whole number") != std::string::npos);
        QCOMPARE(c.train.seed, int64_t{7});  // the good fields still apply
        QCOMPARE(c.train.steps, RunConfig{}.train.steps);
        QCOMPARE(c.optim.lr, 0.5);
    }

    void setParsesTextByType() {
        RunConfig c;
        std::vector<ConfigError> errors;
        QVERIFY(!c.set("train.steps", "12.5", &errors));
        QVERIFY(!c.set("train.steps", "abc", &errors));
        QVERIFY(!c.set("no.such", "1", &errors));
        QCOMPARE(errors.size(), std::size_t{3});
        QVERIFY(c.set("train.steps", "1e3", &errors));
        QCOMPARE(c.train.steps, int64_t{1000});
    }

    void presetsAreValidAndCoverEveryModel() {
        QVERIFY(find_preset(kDefaultPreset));
        for (const char* name :
             {"gan-mixture2d", "dcgan-fashion", "progan-fashion", "vae-fashion", "gpt-char"}) {
            const Preset* p = find_preset(name);
            QVERIFY2(p, name);
            QVERIFY2(p->config.validate().empty(), name);
            QVERIFY(!p->description.empty());
        }
        QCOMPARE(find_preset("gan-mixture2d")->config.data.path, std::string());
        QVERIFY(find_preset("nope") == nullptr);
    }

    void statusNamesRoundTrip() {
        for (auto s :
             {RunStatus::Queued, RunStatus::Running, RunStatus::Paused, RunStatus::Completed,
              RunStatus::Stopped, RunStatus::Failed, RunStatus::Interrupted})
            QCOMPARE(status_from_string(to_string(s)), s);
        QCOMPARE(status_from_string("bogus"), RunStatus::Unset);
        QVERIFY(is_final(RunStatus::Interrupted) && !is_final(RunStatus::Paused));
        for (auto k : {FailureKind::Config, FailureKind::Data, FailureKind::OutOfMemory,
                       FailureKind::NonFinite, FailureKind::Checkpoint, FailureKind::Other})
            QCOMPARE(failure_from_string(to_string(k)), k);
        QCOMPARE(failure_from_string(""), FailureKind::Unset);
        QCOMPARE(failure_from_string("meteor"), FailureKind::Unset);
        const auto failed = RunEvent::status_change(3, 7, 1.5, RunStatus::Failed, "NaN at step 7",
                                                    FailureKind::NonFinite);
        QCOMPARE(failed.failure, FailureKind::NonFinite);
        QCOMPARE(failed.payload, std::string("NaN at step 7"));
    }
};

QTEST_GUILESS_MAIN(TestRunConfig)
#include "test_run_config.moc"
