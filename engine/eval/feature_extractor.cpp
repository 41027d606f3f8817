// Training, checksummed storage and use of the FID feature extractor.
// File layout: "WBFX1\n", one JSON line (architecture, payload size, CRC-32, test accuracy, what
// it was trained on), then the LibTorch archive of the weights.
#include "engine/eval/feature_extractor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "engine/api/paths.h"

namespace wb::engine::eval {
namespace {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

constexpr const char* kMagic = "WBFX1";
// Changing the layers changes this name, so an older cached file is retrained, not misread.
constexpr const char* kArch = "fashion_cnn_16_32_128";

uLong crc_update(uLong crc, const void* data, size_t bytes) {
    const auto* p = static_cast<const Bytef*>(data);
    while (bytes > 0) {
        const auto n = static_cast<uInt>(std::min<size_t>(bytes, 1u << 30));
        crc = crc32(crc, p, n);
        p += n;
        bytes -= n;
    }
    return crc;
}

std::string hex(uLong crc) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08lx", static_cast<unsigned long>(crc));
    return buf;
}

std::string crc_hex(const std::string& bytes) {
    return hex(crc_update(crc32(0L, Z_NULL, 0), bytes.data(), bytes.size()));
}

std::string weights_bytes(const FashionClassifier& net) {
    torch::serialize::OutputArchive archive;
    net->save(archive);
    std::ostringstream os;
    archive.save_to(os);
    return os.str();
}

// PyTorch's default layer initialisation (uniform +-1/sqrt(fan_in)), drawn from `gen`.
void init_from(FashionClassifier& net, at::Generator& gen) {
    torch::NoGradGuard no_grad;
    auto init = [&gen](torch::Tensor& w, torch::Tensor& b) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(w[0].numel()));
        w.uniform_(-bound, bound, gen);
        b.uniform_(-bound, bound, gen);
    };
    init(net->conv1->weight, net->conv1->bias);
    init(net->conv2->weight, net->conv2->bias);
    init(net->hidden->weight, net->hidden->bias);
    init(net->head->weight, net->head->bias);
}

// Building the layers draws their default initialisation from LibTorch's global generator; a run
// that builds the extractor mid-training must find that stream where it left it.
FashionClassifier make_classifier() {
    auto global = at::detail::getDefaultCPUGenerator();
    torch::Tensor state;
    {
        std::lock_guard<std::mutex> lock(global.mutex());
        state = global.get_state();
    }
    FashionClassifier net;
    std::lock_guard<std::mutex> lock(global.mutex());
    global.set_state(state);
    return net;
}

double accuracy(FashionClassifier& net, const data::ImageSet& set) {
    torch::NoGradGuard no_grad;
    int64_t correct = 0;
    for (int64_t i = 0; i < set.images.size(0); i += 1000) {
        const int64_t n = std::min<int64_t>(1000, set.images.size(0) - i);
        auto pred = net->forward(set.images.narrow(0, i, n)).argmax(1);
        correct += pred.eq(set.labels.narrow(0, i, n)).sum().item<int64_t>();
    }
    return static_cast<double>(correct) / static_cast<double>(set.images.size(0));
}

}  // namespace

FashionClassifierImpl::FashionClassifierImpl()
    : conv1(torch::nn::Conv2dOptions(1, 16, 3).padding(1)),
      conv2(torch::nn::Conv2dOptions(16, 32, 3).padding(1)),
      hidden(32 * 8 * 8, kFeatureDim),
      head(kFeatureDim, 10) {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("hidden", hidden);
    register_module("head", head);
}

torch::Tensor FashionClassifierImpl::features(const torch::Tensor& images) {
    auto x = F::max_pool2d(torch::relu(conv1(images)), F::MaxPool2dFuncOptions(2));  // 16x16
    x = F::max_pool2d(torch::relu(conv2(x)), F::MaxPool2dFuncOptions(2));            // 8x8
    return torch::relu(hidden(x.flatten(1)));
}

torch::Tensor FashionClassifierImpl::forward(const torch::Tensor& images) {
    return head(features(images));
}

bool ExtractorProvenance::canonical() const {
    return data_crc32 == kFashionMnistTrainCrc && train_images == kFashionMnistTrainImages &&
           test_images == kFashionMnistTestImages;
}

std::string Extractor::describe() const {
    char acc[32];
    std::snprintf(acc, sizeof acc, "%.2f%%", 100.0 * test_accuracy);
    return "FID feature extractor " + path + " (checksum " + checksum +
           ", Fashion-MNIST test accuracy " + acc + ")";
}

std::string Extractor::identity_json() const {
    return nlohmann::json{{"path", path},
                          {"checksum", checksum},
                          {"test_accuracy", test_accuracy},
                          {"canonical", trained_on.canonical()}}
        .dump();
}

std::string training_set_crc(const data::ImageSet& set) {
    // [-1, 1] back to the source bytes: exact for 8-bit sources, whatever float path loaded them.
    auto bytes = ((set.images.to(torch::kFloat64) + 1.0) * 127.5).round().to(torch::kUInt8);
    auto labels = set.labels.to(torch::kInt64).contiguous();
    bytes = bytes.contiguous();
    uLong crc = crc_update(crc32(0L, Z_NULL, 0), bytes.data_ptr(), bytes.numel());
    crc = crc_update(crc, labels.data_ptr(), labels.numel() * sizeof(int64_t));
    return hex(crc);
}

std::string canonical_problem(const Extractor& e) {
    const auto& t = e.trained_on;
    char acc[32];
    std::snprintf(acc, sizeof acc, "%.2f%%", 100.0 * e.test_accuracy);
    if (!t.canonical())
        return "it was not trained on Fashion-MNIST's training set (" +
               std::to_string(t.train_images) + " training images, data checksum " +
               (t.data_crc32.empty() ? std::string("unrecorded") : t.data_crc32) +
               "), so its FIDs are not comparable with anyone's";
    if (!(e.test_accuracy >= kMinExtractorAccuracy))
        return std::string("its Fashion-MNIST test accuracy is ") + acc + ", below the " +
               std::to_string(static_cast<int>(kMinExtractorAccuracy * 100)) +
               "% needed for its features to tell images apart";
    return {};
}

std::string default_extractor_path() {
    return (fs::path(api::user_data_dir()) / "fid" / "fashion_mnist_cnn.wbfx").string();
}

Extractor train_extractor(const data::ImageData& data, const ExtractorTraining& options) {
    Extractor e{make_classifier()};
    auto gen = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    init_from(e.net, gen);
    torch::optim::Adam opt(e.net->parameters(), torch::optim::AdamOptions(options.lr));
    const auto& train = data.train;
    const int64_t n = train.images.size(0);
    int64_t step = 0;
    for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
        auto order = torch::randperm(n, gen);
        for (int64_t i = 0; i + options.batch_size <= n; i += options.batch_size) {
            if (options.max_steps > 0 && step >= options.max_steps) break;
            auto idx = order.narrow(0, i, options.batch_size);
            auto loss = F::cross_entropy(e.net->forward(train.images.index_select(0, idx)),
                                         train.labels.index_select(0, idx));
            opt.zero_grad();
            loss.backward();
            opt.step();
            ++step;
        }
    }
    e.net->eval();
    e.test_accuracy = accuracy(e.net, data.test);
    e.checksum = crc_hex(weights_bytes(e.net));
    e.trained_on = {training_set_crc(train), n, data.test.images.size(0), step, options.seed};
    return e;
}

void save_extractor(const Extractor& extractor, const std::string& path) {
    const std::string payload = weights_bytes(extractor.net);
    nlohmann::json meta = {{"arch", kArch},
                           {"payload_bytes", payload.size()},
                           {"crc32", crc_hex(payload)},
                           {"test_accuracy", extractor.test_accuracy},
                           {"trained_on",
                            {{"data_crc32", extractor.trained_on.data_crc32},
                             {"train_images", extractor.trained_on.train_images},
                             {"test_images", extractor.trained_on.test_images},
                             {"steps", extractor.trained_on.steps},
                             {"seed", extractor.trained_on.seed}}}};
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << kMagic << '\n' << meta.dump() << '\n' << payload;
        out.flush();
        if (!out)
            throw ExtractorError(path + ": cannot write the FID feature extractor (" +
                                 (ec ? ec.message() : std::string("write failed")) +
                                 "); check that the folder is writable and the disk has space");
    }
    fs::rename(tmp, path, ec);
    if (ec)
        throw ExtractorError(path + ": cannot move the new FID feature extractor into place (" +
                             ec.message() + "); check the folder's permissions");
}

Extractor load_extractor(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ExtractorError(path + ": no FID feature extractor file (it is trained on first use)");
    std::string magic, meta_line;
    std::getline(in, magic);
    if (magic != kMagic)
        throw ExtractorError(path +
                             ": not a FID feature extractor file (bad header); delete it "
                             "and it is trained again");
    std::getline(in, meta_line);
    std::string payload((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    nlohmann::json meta = nlohmann::json::parse(meta_line, nullptr, /*allow_exceptions=*/false);
    if (!meta.is_object() || !meta.contains("crc32") || !meta.contains("payload_bytes"))
        throw ExtractorError(path +
                             ": corrupt FID feature extractor (unreadable header); delete "
                             "it and it is trained again");
    if (meta.value("arch", "") != kArch)
        throw ExtractorError(path + ": FID feature extractor of another architecture (" +
                             meta.value("arch", "?") + ", this build uses " + kArch +
                             "); delete it and it is trained again");
    if (payload.size() != meta["payload_bytes"].get<size_t>() ||
        crc_hex(payload) != meta["crc32"].get<std::string>())
        throw ExtractorError(path +
                             ": corrupt FID feature extractor (checksum mismatch: the file "
                             "was truncated or changed); delete it and it is trained again");
    Extractor e{make_classifier()};
    torch::serialize::InputArchive archive;
    std::istringstream is(payload);
    archive.load_from(is);
    e.net->load(archive);
    e.net->eval();
    e.test_accuracy = meta.value("test_accuracy", 0.0);
    e.checksum = meta["crc32"].get<std::string>();
    e.path = path;
    // Files written before provenance was recorded have none, so they count as not canonical.
    const auto t = meta.value("trained_on", nlohmann::json::object());
    if (t.is_object()) {
        e.trained_on.data_crc32 = t.value("data_crc32", "");
        e.trained_on.train_images = t.value("train_images", int64_t{0});
        e.trained_on.test_images = t.value("test_images", int64_t{0});
        e.trained_on.steps = t.value("steps", int64_t{0});
        e.trained_on.seed = t.value("seed", uint64_t{0});
    }
    return e;
}

Extractor load_or_train_extractor(
    const std::string& path, const std::function<data::ImageData()>& load_fashion_mnist,
    const std::function<void(const std::string&, const std::string&)>& log,
    const ExtractorTraining& options) {
    std::error_code ec;
    if (fs::exists(path, ec)) {
        try {
            Extractor e = load_extractor(path);
            const std::string problem = canonical_problem(e);
            if (problem.empty()) return e;
            const std::string aside = path + ".rejected";
            fs::rename(path, aside, ec);
            log("warning", "refusing the FID feature extractor " + path + ": " + problem +
                               (ec ? "" : "; moved it to " + aside) +
                               "; training the canonical one on Fashion-MNIST now");
        } catch (const ExtractorError& e) {
            log("warning", std::string(e.what()) + "; training a new one now");
        }
    } else {
        log("info",
            "no FID feature extractor at " + path +
                ": training one on Fashion-MNIST's training set (once; a few minutes on a 2-core "
                "CPU, longer while the machine is busy)");
    }
    const data::ImageData data = load_fashion_mnist();
    if (data.train.images.size(0) != kFashionMnistTrainImages ||
        training_set_crc(data.train) != kFashionMnistTrainCrc)
        throw ExtractorError(
            data.source +
            ": not Fashion-MNIST's training set, and the FID feature extractor is trained on "
            "that set only (so every FID is measured on the same features); install Debian's "
            "dataset-fashion-mnist package or point to a folder with its IDX files");
    Extractor e = train_extractor(data, options);
    e.path = path;
    if (const std::string problem = canonical_problem(e); !problem.empty())
        throw ExtractorError("the newly trained FID feature extractor is not usable: " + problem +
                             "; FID is unavailable (try again with a different seed)");
    save_extractor(e, path);
    log("info", "trained " + e.describe());
    return e;
}

torch::Tensor extract_features(FashionClassifier net, const torch::Tensor& images, int64_t batch) {
    torch::NoGradGuard no_grad;
    net->eval();
    std::vector<torch::Tensor> parts;
    for (int64_t i = 0; i < images.size(0); i += batch) {
        const int64_t n = std::min(batch, images.size(0) - i);
        parts.push_back(net->features(images.narrow(0, i, n).to(torch::kFloat32).clamp(-1, 1)));
    }
    return torch::cat(parts);
}

}  // namespace wb::engine::eval
