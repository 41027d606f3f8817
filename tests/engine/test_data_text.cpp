#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <sys/stat.h>

// Torch first: Qt's `slots` macro breaks torch headers included after it.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/data/data_error.h"
#include "engine/data/text_corpus.h"

using wb::engine::data::DataError;
namespace data = wb::engine::data;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string prose(size_t bytes, char salt) {
    const std::string words = "the quick brown fox jumps over the lazy dog\n";
    std::string out;
    while (out.size() < bytes) out += words;
    out.resize(bytes);
    out.back() = salt;
    return out + "\n";
}

bool throws_naming(const std::function<void()>& fn, const std::string& needle) {
    try {
        fn();
    } catch (const DataError& e) {
        if (std::string(e.what()).find(needle) != std::string::npos) return true;
        qWarning() << "message" << e.what() << "lacks" << needle.c_str();
        return false;
    }
    qWarning() << "no DataError thrown";
    return false;
}

}  // namespace

class TestDataText final : public QObject {
    Q_OBJECT

private slots:
    void fortunesLoads();
    void folderRules();
    void userFolderSortedAndJoined();
    void valSplitFollowsFraction();
    void encodeDecodeRoundTrip();
    void binaryFileRejected();
    void badInputsRejected();
    void nonRegularFilesRefused();
    void memoryIsTheSizeOfTheText();
    void textBatchWindows();
    void textBatchDeterministic();

private:
    QTemporaryDir m_dir;
    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }
};

void TestDataText::fortunesLoads() {
    if (!QDir(data::kDefaultFortunesDir).exists()) QSKIP("Debian's fortunes is not installed");
    const data::TextCorpus corpus = data::load_text("", 0.1);
    QCOMPARE(corpus.source, std::string(data::kDefaultFortunesDir));

    // Recompute the expected text independently: regular files directly in the folder, sorted,
    // not .dat, not symlinks (the .u8 duplicates), no subfolders.
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(data::kDefaultFortunesDir)) {
        if (entry.is_symlink() || !entry.is_regular_file()) continue;
        if (entry.path().extension() == ".dat") continue;
        names.push_back(entry.path().string());
    }
    std::sort(names.begin(), names.end());
    QVERIFY(names.size() > 10);
    std::string expected;
    for (const std::string& name : names) {
        expected += read_file(name);
        if (expected.back() != '\n') expected.push_back('\n');
    }
    const int64_t total = corpus.train_ids.numel() + corpus.val_ids.numel();
    QCOMPARE(total, static_cast<int64_t>(expected.size()));
    QVERIFY(std::abs(corpus.val_ids.numel() - 0.1 * total) <= 1.0);
    QCOMPARE(corpus.decode(torch::cat({corpus.train_ids, corpus.val_ids})), expected);

    QVERIFY(corpus.vocab.find('\0') == std::string::npos);
    QVERIFY(corpus.vocab.size() > 60);
    for (size_t i = 1; i < corpus.vocab.size(); ++i) {
        QVERIFY(static_cast<unsigned char>(corpus.vocab[i - 1]) <
                static_cast<unsigned char>(corpus.vocab[i]));
    }
    QCOMPARE(corpus.train_ids.scalar_type(), torch::kUInt8);  // one byte per character
    QCOMPARE(corpus.train_ids.dim(), 1);
    QCOMPARE(corpus.train_ids.max().item<int64_t>() + 1 <= (int64_t)corpus.vocab.size(), true);
}

void TestDataText::folderRules() {
    QVERIFY(QDir(m_dir.path()).mkpath("rules/off"));
    QVERIFY(QDir(m_dir.path()).mkpath("rules/.git"));
    const std::string root = path("rules");
    write_file(root + "/b", prose(600, 'b'));
    write_file(root + "/a", prose(600, 'a'));
    write_file(root + "/a.dat", "index");
    write_file(root + "/binary", std::string("text\0more", 9));
    write_file(root + "/off/c", prose(600, 'c'));
    write_file(root + "/.git/config", prose(600, 'g'));
    fs::create_symlink("a", root + "/a.u8");

    QCOMPARE(data::list_text_files(root, false),
             (std::vector<std::string>{root + "/a", root + "/b"}));
    QCOMPARE(data::list_text_files(root, true),
             (std::vector<std::string>{root + "/a", root + "/b", root + "/off/c"}));
}

void TestDataText::userFolderSortedAndJoined() {
    QVERIFY(QDir(m_dir.path()).mkpath("joined/sub"));
    const std::string root = path("joined");
    const std::string first = prose(1100, '1');
    std::string second = prose(500, '2');
    second.pop_back();  // no trailing newline: the loader must add one before the next file
    const std::string third = prose(300, '3');
    write_file(root + "/zeta", third);
    write_file(root + "/alpha", first);
    write_file(root + "/sub/beta", second);
    const data::TextCorpus corpus = data::load_text(root, 0.0);
    QCOMPARE(corpus.val_ids.numel(), 0);
    QCOMPARE(corpus.decode(corpus.train_ids), first + second + "\n" + third);
    QCOMPARE(corpus.source, root);

    const data::TextCorpus single = data::load_text(root + "/alpha", 0.0);
    QCOMPARE(single.decode(single.train_ids), first);
}

void TestDataText::valSplitFollowsFraction() {
    const std::string file = path("split");
    const std::string text = prose(4321, 'x');
    write_file(file, text);
    for (const double fraction : {0.0, 0.05, 0.1, 0.5, 0.9}) {
        const data::TextCorpus corpus = data::load_text(file, fraction);
        const int64_t total = corpus.train_ids.numel() + corpus.val_ids.numel();
        QCOMPARE(total, static_cast<int64_t>(text.size()));
        QVERIFY(std::abs(corpus.val_ids.numel() - fraction * total) <= 1.0);
        // Validation is the end of the text, not a random subset.
        QCOMPARE(corpus.decode(corpus.val_ids), text.substr(corpus.train_ids.numel()));
    }
}

void TestDataText::encodeDecodeRoundTrip() {
    const std::string file = path("roundtrip");
    write_file(file, prose(2000, 'Z') + "\xc3\xa9t\xc3\xa9 caf\xc3\xa9\n");
    const data::TextCorpus corpus = data::load_text(file, 0.1);
    const std::string sample = "lazy fox, caf\xc3\xa9 Z";
    const std::string known = "lazy fox caf\xc3\xa9 Z";  // ',' never occurs in the corpus
    const torch::Tensor ids = corpus.encode(sample);
    QCOMPARE(ids.numel(), static_cast<int64_t>(known.size()));
    QCOMPARE(corpus.decode(ids), known);
    QCOMPARE(corpus.decode(ids.to(torch::kInt32)), known);
    QCOMPARE(corpus.encode_char(','), -1);
    for (size_t i = 0; i < corpus.vocab.size(); ++i) {
        QCOMPARE(corpus.encode_char(corpus.vocab[i]), static_cast<int64_t>(i));
    }
    QVERIFY(torch::equal(corpus.encode(corpus.decode(corpus.val_ids)),
                         corpus.val_ids.to(torch::kInt64)));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range,
                             corpus.decode(torch::tensor({int64_t(corpus.vocab.size())})));
}

void TestDataText::binaryFileRejected() {
    const std::string file = path("image.bin");
    write_file(file, prose(2000, 'q') + std::string(1, '\0') + "tail");
    QVERIFY(throws_naming([&] { data::load_text(file, 0.1); }, file));
    QVERIFY(throws_naming([&] { data::load_text(file, 0.1); }, "binary"));

    QVERIFY(QDir(m_dir.path()).mkpath("allbinary"));
    write_file(path("allbinary") + "/x", std::string("\0\1\2", 3));
    QVERIFY(throws_naming([&] { data::load_text(path("allbinary"), 0.1); }, "no text files"));
}

void TestDataText::badInputsRejected() {
    write_file(path("tiny"), "too short\n");
    QVERIFY(throws_naming([&] { data::load_text(path("tiny"), 0.1); }, "at least 1000"));
    QVERIFY(throws_naming([&] { data::load_text(path("absent"), 0.1); }, path("absent")));
    write_file(path("fine"), prose(2000, 'f'));
    QVERIFY(throws_naming([&] { data::load_text(path("fine"), 1.0); }, "validation fraction"));
    QVERIFY(throws_naming([&] { data::load_text(path("fine"), -0.1); }, "validation fraction"));
}

// Issue 20, item 3: data.path=/dev/zero read until the kernel killed the process, and a FIFO
// without a writer blocked forever.
void TestDataText::nonRegularFilesRefused() {
    QVERIFY(throws_naming([] { data::load_text("/dev/zero", 0.1); },
                          "/dev/zero: is a character device, not a regular file"));
    const std::string fifo = path("pipe");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    QVERIFY(throws_naming([&] { data::load_text(fifo, 0.1); }, "is a FIFO (named pipe)"));
    // In a folder such entries are not text files at all.
    QVERIFY(QDir(m_dir.path()).mkpath("withpipe"));
    write_file(path("withpipe") + "/a", prose(1500, 'a'));
    QCOMPARE(::mkfifo((path("withpipe") + "/b").c_str(), 0600), 0);
    QCOMPARE(data::load_text(path("withpipe"), 0.0).train_ids.numel(), int64_t{1501});
}

// Issue 20, item 3: a 100 MB corpus peaked at 1.78 GB (string copies, then int64 ids, then a
// copy of each split). Now the ids are the bytes: one buffer of the text's size, shared by both
// splits.
void TestDataText::memoryIsTheSizeOfTheText() {
    const std::string file = path("big");
    const std::string text = prose(3 << 20, 'm');
    write_file(file, text);
    const data::TextCorpus corpus = data::load_text(file, 0.1);
    QCOMPARE(corpus.train_ids.element_size(), int64_t{1});
    QVERIFY(corpus.train_ids.storage().nbytes() <= text.size() + 1);  // + one separator
    QCOMPARE(corpus.val_ids.storage().data(), corpus.train_ids.storage().data());
    QCOMPARE(corpus.decode(corpus.val_ids), text.substr(corpus.train_ids.numel()));
    // Windows still come out as int64 ids, whatever the corpus stores.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
    QCOMPARE(data::text_batch(corpus.val_ids, 4, 16, gen).first.scalar_type(), torch::kInt64);
}

void TestDataText::textBatchWindows() {
    const torch::Tensor ids = torch::arange(1000, torch::kInt64) * 3;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
    const auto [x, y] = data::text_batch(ids, 64, 16, gen);
    QCOMPARE(x.sizes().vec(), (std::vector<int64_t>{64, 16}));
    QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{64, 16}));
    // Each row is a contiguous slice of ids, and y is that slice moved on by one token.
    const torch::Tensor start = x.select(1, 0) / 3;
    QVERIFY(torch::equal(x, (start.unsqueeze(1) + torch::arange(16)) * 3));
    QVERIFY(torch::equal(y, x + 3));
    QVERIFY(y.max().item<int64_t>() <= 999 * 3);
    QVERIFY(std::get<0>(at::_unique(start)).numel() > 32);

    // The shortest text that fits: every window must be the whole text.
    at::Generator tight = at::make_generator<at::CPUGeneratorImpl>(1);
    const auto [tx, ty] = data::text_batch(torch::arange(17, torch::kInt64), 8, 16, tight);
    QVERIFY(torch::equal(tx, torch::arange(16).expand({8, 16})));
    QVERIFY(torch::equal(ty, torch::arange(1, 17).expand({8, 16})));
    QVERIFY(throws_naming([&] { data::text_batch(torch::arange(16), 8, 16, tight); }, "context"));
}

void TestDataText::textBatchDeterministic() {
    const torch::Tensor ids = torch::arange(5000, torch::kInt64);
    at::Generator a = at::make_generator<at::CPUGeneratorImpl>(123);
    at::Generator b = at::make_generator<at::CPUGeneratorImpl>(123);
    at::Generator c = at::make_generator<at::CPUGeneratorImpl>(124);
    const auto first_a = data::text_batch(ids, 32, 8, a);
    const auto first_b = data::text_batch(ids, 32, 8, b);
    QVERIFY(torch::equal(first_a.first, first_b.first));
    QVERIFY(!torch::equal(first_a.first, data::text_batch(ids, 32, 8, c).first));
    // The generator advances, so the next batch differs but still matches its twin.
    const auto second_a = data::text_batch(ids, 32, 8, a);
    QVERIFY(!torch::equal(first_a.first, second_a.first));
    QVERIFY(torch::equal(second_a.first, data::text_batch(ids, 32, 8, b).first));
}

QTEST_GUILESS_MAIN(TestDataText)
#include "test_data_text.moc"
