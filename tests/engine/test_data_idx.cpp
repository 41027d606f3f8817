#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

// Torch first: Qt's `slots` macro breaks torch headers included after it.
#include <torch/torch.h>
#include <zlib.h>
#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include "engine/data/data_error.h"
#include "engine/data/idx.h"

using wb::engine::data::DataError;
namespace data = wb::engine::data;

namespace {

std::string idx_bytes(const std::vector<uint32_t>& dims, const std::string& payload,
                      unsigned type = 0x08) {
    std::string out{'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
    for (const uint32_t d : dims) {
        for (const int shift : {24, 16, 8, 0})
            out.push_back(static_cast<char>((d >> shift) & 0xff));
    }
    return out + payload;
}

std::string pattern(size_t bytes) {
    std::string out(bytes, '\0');
    for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>((i * 37 + i / 7) & 0xff);
    return out;
}

void write_plain(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

void write_gz(const std::string& path, const std::string& bytes) {
    gzFile f = gzopen(path.c_str(), "wb");
    QVERIFY(f != nullptr);
    QCOMPARE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
             static_cast<int>(bytes.size()));
    gzclose(f);
}

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `fn`, expecting a DataError whose message contains every one of `needles`.
template <typename Fn>
QString expect_error(Fn fn, const QStringList& needles) {
    try {
        fn();
    } catch (const DataError& e) {
        const QString message = QString::fromStdString(e.what());
        for (const QString& needle : needles) {
            if (!message.contains(needle)) {
                qWarning() << "message" << message << "lacks" << needle;
                return QString();
            }
        }
        return message;
    } catch (const std::exception& e) {
        qWarning() << "expected a DataError, got" << e.what();
        return QString();
    }
    qWarning() << "no DataError thrown";
    return QString();
}

// Caps the address space for its lifetime, so any attempt to allocate what a lying header
// promises fails with an allocation error instead of a DataError.
class AddressSpaceCap {
public:
    explicit AddressSpaceCap(rlim_t headroom_bytes) {
        getrlimit(RLIMIT_AS, &m_saved);
        std::ifstream statm("/proc/self/statm");
        unsigned long pages = 0;
        statm >> pages;
        rlimit capped = m_saved;
        capped.rlim_cur = pages * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + headroom_bytes;
        setrlimit(RLIMIT_AS, &capped);
    }
    ~AddressSpaceCap() { setrlimit(RLIMIT_AS, &m_saved); }

private:
    rlimit m_saved{};
};

}  // namespace

class TestDataIdx final : public QObject {
    Q_OBJECT

private slots:
    void realFashionMnist();
    void plainAndGzipIdentical();
    void gzipDetectedByMagicNotName();
    void truncatedPlain();
    void truncatedGzip();
    void cutGzipStream();
    void trailingData();
    void absurdHeaderRejectedFast();
    void lyingHeaderDoesNotAllocate();
    void wrongMagic();
    void wrongTypeAndDims();
    void missingFile();
    void nonRegularFilesRefused();
    void labelOutOfRange();
    void countMismatch();
    void smallImagesPaddedCentred();
    void largeImagesRejected();
    void folderWithMissingFile();
    void folderMixingPlainAndGzip();

private:
    QTemporaryDir m_dir;
    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }
};

void TestDataIdx::realFashionMnist() {
    if (!QDir(data::kDefaultFashionMnistDir).exists())
        QSKIP("dataset-fashion-mnist is not installed");
    const data::ImageData d = data::load_fashion_mnist("");
    QCOMPARE(QString::fromStdString(d.source), QString(data::kDefaultFashionMnistDir));
    QCOMPARE(d.train.images.sizes().vec(), (std::vector<int64_t>{60000, 1, 32, 32}));
    QCOMPARE(d.test.images.sizes().vec(), (std::vector<int64_t>{10000, 1, 32, 32}));
    QCOMPARE(d.train.images.scalar_type(), torch::kFloat32);
    QCOMPARE(d.train.labels.scalar_type(), torch::kInt64);
    QCOMPARE(d.train.labels.size(0), 60000);
    QCOMPARE(d.test.labels.size(0), 10000);
    for (const data::ImageSet* set : {&d.train, &d.test}) {
        QCOMPARE(set->images.min().item<float>(), -1.0f);
        QCOMPARE(set->images.max().item<float>(), 1.0f);
        const torch::Tensor inner = set->images.narrow(2, 2, 28).narrow(3, 2, 28);
        QVERIFY(set->images.narrow(2, 0, 2).eq(-1).all().item<bool>());
        QVERIFY(set->images.narrow(2, 30, 2).eq(-1).all().item<bool>());
        QVERIFY(set->images.narrow(3, 0, 2).eq(-1).all().item<bool>());
        QVERIFY(set->images.narrow(3, 30, 2).eq(-1).all().item<bool>());
        // Real garments touch more than the background level somewhere inside.
        QVERIFY(inner.gt(-1).any().item<bool>());
    }
    QVERIFY(torch::equal(torch::bincount(d.train.labels, {}, 10),
                         torch::full({10}, 6000, torch::kInt64)));
    QVERIFY(torch::equal(torch::bincount(d.test.labels, {}, 10),
                         torch::full({10}, 1000, torch::kInt64)));
}

void TestDataIdx::plainAndGzipIdentical() {
    const std::string payload = pattern(5 * 28 * 28);
    const std::string bytes = idx_bytes({5, 28, 28}, payload);
    write_plain(path("p-images"), bytes);
    write_gz(path("p-images.gz"), bytes);
    const torch::Tensor plain = data::read_idx(path("p-images"));
    const torch::Tensor gz = data::read_idx(path("p-images.gz"));
    QCOMPARE(plain.scalar_type(), torch::kUInt8);
    QCOMPARE(plain.sizes().vec(), (std::vector<int64_t>{5, 28, 28}));
    QVERIFY(torch::equal(plain, gz));
    const auto* raw = plain.contiguous().data_ptr<uint8_t>();
    QVERIFY(std::equal(payload.begin(), payload.end(), raw,
                       [](char a, uint8_t b) { return static_cast<uint8_t>(a) == b; }));
}

void TestDataIdx::gzipDetectedByMagicNotName() {
    const std::string bytes = idx_bytes({7}, pattern(7));
    write_gz(path("compressed.idx"), bytes);
    write_plain(path("uncompressed.gz"), bytes);
    QVERIFY(torch::equal(data::read_idx(path("compressed.idx")),
                         data::read_idx(path("uncompressed.gz"))));
}

void TestDataIdx::truncatedPlain() {
    write_plain(path("t-images"), idx_bytes({5, 28, 28}, pattern(1234)));
    QVERIFY(!expect_error([&] { data::read_idx(path("t-images")); },
                          {QString::fromStdString(path("t-images")), "truncated", "3920", "1234"})
                 .isEmpty());
    write_plain(path("t-header"), idx_bytes({5, 28, 28}, "").substr(0, 9));
    QVERIFY(!expect_error([&] { data::read_idx(path("t-header")); }, {"truncated"}).isEmpty());
}

void TestDataIdx::truncatedGzip() {
    write_gz(path("t-images.gz"), idx_bytes({5, 28, 28}, pattern(1234)));
    QVERIFY(
        !expect_error([&] { data::read_idx(path("t-images.gz")); },
                      {QString::fromStdString(path("t-images.gz")), "truncated", "3920", "1234"})
             .isEmpty());
}

void TestDataIdx::cutGzipStream() {
    write_gz(path("full.gz"), idx_bytes({50, 28, 28}, pattern(50 * 28 * 28)));
    const std::string compressed = read_all(path("full.gz"));
    write_plain(path("cut.gz"), compressed.substr(0, compressed.size() / 2));
    QVERIFY(!expect_error([&] { data::read_idx(path("cut.gz")); },
                          {QString::fromStdString(path("cut.gz")), "truncated"})
                 .isEmpty());
    std::string flipped = compressed;
    flipped[flipped.size() - 6] ^= 0x5a;  // inside the CRC32 trailer
    write_plain(path("flipped.gz"), flipped);
    QVERIFY(!expect_error([&] { data::read_idx(path("flipped.gz")); },
                          {QString::fromStdString(path("flipped.gz"))})
                 .isEmpty());
}

void TestDataIdx::trailingData() {
    const std::string bytes = idx_bytes({3, 2, 2}, pattern(12 + 5));
    write_plain(path("long"), bytes);
    write_gz(path("long.gz"), bytes);
    QVERIFY(!expect_error([&] { data::read_idx(path("long")); }, {"5 more bytes"}).isEmpty());
    QVERIFY(!expect_error([&] { data::read_idx(path("long.gz")); }, {"5 more bytes"}).isEmpty());
}

void TestDataIdx::absurdHeaderRejectedFast() {
    // 2^20 * 2^10 * 2^10 = 2^40 bytes promised.
    write_gz(path("absurd.gz"), idx_bytes({1u << 20, 1u << 10, 1u << 10}, pattern(100)));
    const auto start = std::chrono::steady_clock::now();
    AddressSpaceCap cap(512u << 20);
    QVERIFY(!expect_error([&] { data::read_idx(path("absurd.gz")); },
                          {QString::fromStdString(path("absurd.gz")), "header"})
                 .isEmpty());
    QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

void TestDataIdx::lyingHeaderDoesNotAllocate() {
    // 2^31 bytes is within the sanity limit, so only reading carefully avoids the allocation.
    const std::string bytes = idx_bytes({1u << 11, 1u << 10, 1u << 10}, pattern(3000));
    write_plain(path("liar"), bytes);
    write_gz(path("liar.gz"), bytes);
    AddressSpaceCap cap(512u << 20);
    for (const char* name : {"liar", "liar.gz"}) {
        const auto start = std::chrono::steady_clock::now();
        QVERIFY(
            !expect_error([&] { data::read_idx(path(name)); }, {"truncated", "2147483648", "3000"})
                 .isEmpty());
        QVERIFY(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    }
}

void TestDataIdx::wrongMagic() {
    write_plain(path("png"), "\x89PNG\r\n\x1a\n" + pattern(100));
    QVERIFY(!expect_error([&] { data::read_idx(path("png")); },
                          {QString::fromStdString(path("png")), "not an IDX file"})
                 .isEmpty());
    write_plain(path("short"), std::string("\0\0", 2));
    QVERIFY(!expect_error([&] { data::read_idx(path("short")); }, {"truncated"}).isEmpty());
}

void TestDataIdx::wrongTypeAndDims() {
    write_plain(path("floats"), idx_bytes({2}, pattern(8), 0x0D));
    QVERIFY(!expect_error([&] { data::read_idx(path("floats")); }, {"float32"}).isEmpty());
    write_plain(path("fivedims"), idx_bytes({1, 1, 1, 1, 1}, pattern(1)));
    QVERIFY(!expect_error([&] { data::read_idx(path("fivedims")); }, {"5 dimensions"}).isEmpty());
    write_plain(path("nodims"), idx_bytes({}, ""));
    QVERIFY(!expect_error([&] { data::read_idx(path("nodims")); }, {"0 dimensions"}).isEmpty());
    write_plain(path("zerodim"), idx_bytes({4, 0}, ""));
    QVERIFY(!expect_error([&] { data::read_idx(path("zerodim")); }, {"size 0"}).isEmpty());
}

void TestDataIdx::missingFile() {
    QVERIFY(!expect_error([&] { data::read_idx(path("nowhere")); },
                          {QString::fromStdString(path("nowhere")), "not found"})
                 .isEmpty());
}

void TestDataIdx::labelOutOfRange() {
    write_plain(path("l-images"), idx_bytes({4, 2, 2}, pattern(16)));
    write_plain(path("l-labels"), idx_bytes({4}, std::string{0, 9, 12, 3}));
    QVERIFY(!expect_error([&] { data::load_idx_pair(path("l-images"), path("l-labels")); },
                          {QString::fromStdString(path("l-labels")), "label 12", "index 2"})
                 .isEmpty());
}

void TestDataIdx::countMismatch() {
    write_plain(path("c-images"), idx_bytes({4, 2, 2}, pattern(16)));
    write_plain(path("c-labels"), idx_bytes({3}, std::string{0, 1, 2}));
    QVERIFY(!expect_error([&] { data::load_idx_pair(path("c-images"), path("c-labels")); },
                          {QString::fromStdString(path("c-labels")), "3 labels", "4 images"})
                 .isEmpty());
    // Swapped arguments are a count/shape problem the message should make obvious.
    QVERIFY(!expect_error([&] { data::load_idx_pair(path("c-labels"), path("c-images")); },
                          {"3 dimensions"})
                 .isEmpty());
}

void TestDataIdx::smallImagesPaddedCentred() {
    // 29 rows x 31 columns: one spare row and column are split 1/2 and 0/1 around the image.
    std::string pixels(2 * 29 * 31, '\xff');
    std::fill(pixels.begin() + 29 * 31, pixels.end(), '\0');
    write_plain(path("s-images"), idx_bytes({2, 29, 31}, pixels));
    write_plain(path("s-labels"), idx_bytes({2}, std::string{7, 0}));
    const data::ImageSet set = data::load_idx_pair(path("s-images"), path("s-labels"));
    QCOMPARE(set.images.sizes().vec(), (std::vector<int64_t>{2, 1, 32, 32}));
    QVERIFY(torch::equal(set.labels, torch::tensor({7, 0}, torch::kInt64)));
    const torch::Tensor white = set.images[0][0];
    QVERIFY(white.narrow(0, 1, 29).narrow(1, 0, 31).eq(1).all().item<bool>());
    QCOMPARE(white.eq(-1).sum().item<int64_t>(), 32 * 32 - 29 * 31);
    QVERIFY(white[0].eq(-1).all().item<bool>());
    QVERIFY(white[30].eq(-1).all().item<bool>());
    QVERIFY(white.select(1, 31).eq(-1).all().item<bool>());
    QVERIFY(set.images[1].eq(-1).all().item<bool>());
}

void TestDataIdx::largeImagesRejected() {
    write_plain(path("big-images"), idx_bytes({1, 33, 33}, pattern(33 * 33)));
    write_plain(path("big-labels"), idx_bytes({1}, std::string{1}));
    QVERIFY(!expect_error([&] { data::load_idx_pair(path("big-images"), path("big-labels")); },
                          {QString::fromStdString(path("big-images")), "33x33"})
                 .isEmpty());
}

void TestDataIdx::folderWithMissingFile() {
    QVERIFY(QDir(m_dir.path()).mkpath("partial"));
    const std::string folder = path("partial");
    write_plain(folder + "/train-images-idx3-ubyte", idx_bytes({2, 28, 28}, pattern(2 * 784)));
    write_plain(folder + "/train-labels-idx1-ubyte", idx_bytes({2}, std::string{1, 2}));
    write_gz(folder + "/t10k-images-idx3-ubyte.gz", idx_bytes({1, 28, 28}, pattern(784)));
    QVERIFY(!expect_error([&] { data::load_fashion_mnist(folder); },
                          {QString::fromStdString(folder), "missing t10k-labels-idx1-ubyte"})
                 .isEmpty());
    QVERIFY(!expect_error([&] { data::load_fashion_mnist(path("no-such-folder")); },
                          {"no-such-folder", "not found"})
                 .isEmpty());
}

void TestDataIdx::folderMixingPlainAndGzip() {
    QVERIFY(QDir(m_dir.path()).mkpath("mixed"));
    const std::string folder = path("mixed");
    write_gz(folder + "/train-images-idx3-ubyte.gz", idx_bytes({3, 28, 28}, pattern(3 * 784)));
    write_plain(folder + "/train-labels-idx1-ubyte", idx_bytes({3}, std::string{1, 2, 3}));
    write_plain(folder + "/t10k-images-idx3-ubyte", idx_bytes({1, 28, 28}, pattern(784)));
    write_gz(folder + "/t10k-labels-idx1-ubyte.gz", idx_bytes({1}, std::string{9}));
    const data::ImageData d = data::load_fashion_mnist(folder);
    QCOMPARE(d.source, folder);
    QCOMPARE(d.train.images.size(0), 3);
    QCOMPARE(d.test.labels.item<int64_t>(), 9);
    std::string pixels = pattern(784);
    const torch::Tensor expected = torch::from_blob(pixels.data(), {28, 28}, torch::kUInt8)
                                       .to(torch::kFloat32)
                                       .div(127.5)
                                       .sub(1.0);
    QVERIFY(torch::allclose(d.test.images[0][0].narrow(0, 2, 28).narrow(1, 2, 28), expected));
}

// Issue 20, item 3: a FIFO given as an IDX file blocked the reader forever.
void TestDataIdx::nonRegularFilesRefused() {
    const auto refused = [](const std::string& p, const char* kind) {
        try {
            data::read_idx(p);
        } catch (const data::DataError& e) {
            const std::string what = e.what();
            return what.find(p + ": is " + kind + ", not a regular file") == 0;
        }
        return false;
    };
    QVERIFY(refused("/dev/zero", "a character device"));
    const std::string fifo = path("pipe.idx");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    QVERIFY(refused(fifo, "a FIFO (named pipe)"));
}

QTEST_GUILESS_MAIN(TestDataIdx)
#include "test_data_idx.moc"
