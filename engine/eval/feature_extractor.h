// The FID feature extractor: one canonical Fashion-MNIST classifier, trained only on
// Fashion-MNIST's training set and cached as a checksummed file that records what it was trained on
// and how well.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "engine/data/idx.h"

namespace wb::engine::eval {

/// Two conv layers and a 128-unit hidden layer: 88.2% test accuracy after two epochs (measured on
/// this project's machine; the cached file records its own). The features are the hidden layer.
struct FashionClassifierImpl : torch::nn::Module {
    FashionClassifierImpl();
    /// images [N, 1, 32, 32] in [-1, 1] -> features [N, kFeatureDim].
    torch::Tensor features(const torch::Tensor& images);
    /// images -> class logits [N, 10].
    torch::Tensor forward(const torch::Tensor& images);
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::Linear hidden{nullptr}, head{nullptr};
    static constexpr int64_t kFeatureDim = 128;
};
TORCH_MODULE(FashionClassifier);

/// A missing, unreadable or corrupt extractor file; the message names the file and the fix.
struct ExtractorError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Extractors below this Fashion-MNIST test accuracy are refused: their features barely tell
/// clothes apart, so FIDs computed on them rank nothing (15.6% gave 1.3 for uniform noise).
inline constexpr double kMinExtractorAccuracy = 0.80;

/// What an extractor was trained on and for how long, as its file records it.
struct ExtractorProvenance {
    std::string data_crc32;  ///< training_set_crc() of its training images and labels
    int64_t train_images = 0;
    int64_t test_images = 0;  ///< images its test_accuracy was measured on
    int64_t steps = 0;
    uint64_t seed = 0;
    /// True when data_crc32 and the counts are those of Fashion-MNIST's training set.
    bool canonical() const;
};

struct Extractor {
    FashionClassifier net{nullptr};
    double test_accuracy = 0;  ///< on the Fashion-MNIST test set, measured when it was trained
    std::string checksum;      ///< CRC-32 of the weights, hex: the extractor's identity
    std::string path;
    ExtractorProvenance trained_on;
    /// One line for logs and the CLI: path, checksum, accuracy.
    std::string describe() const;
    /// {"path", "checksum", "test_accuracy", "canonical"} as JSON text, for the run record.
    std::string identity_json() const;
};

/// CRC-32 (hex) of a set's images, brought back to bytes, and labels: identifies a data set
/// independently of the file format it was read from.
std::string training_set_crc(const data::ImageSet& set);
/// Fashion-MNIST's training set as Debian's dataset-fashion-mnist holds it (60,000 images).
inline constexpr const char* kFashionMnistTrainCrc = "578d2004";
inline constexpr int64_t kFashionMnistTrainImages = 60000;
inline constexpr int64_t kFashionMnistTestImages = 10000;

/// Why `e` must not be used for FID (not trained on Fashion-MNIST's training set, or below
/// kMinExtractorAccuracy); empty when it may.
std::string canonical_problem(const Extractor& e);

struct ExtractorTraining {
    int64_t epochs = 2;
    int64_t batch_size = 128;
    double lr = 1e-3;
    int64_t max_steps = 0;  ///< > 0: stop early (tests); the file records what was trained
    uint64_t seed = 0;
};

/// `<user data dir>/fid/fashion_mnist_cnn.wbfx`.
std::string default_extractor_path();

/// Trains a classifier on data.train and measures it on data.test (weights and order drawn from
/// its own generator, so the run's random streams are untouched). Any data: tests use small
/// synthetic sets, and canonical_problem() tells such an extractor apart.
Extractor train_extractor(const data::ImageData& data, const ExtractorTraining& options);

/// Writes atomically (temporary file + rename), creating folders; throws ExtractorError.
void save_extractor(const Extractor& extractor, const std::string& path);

/// Reads and verifies magic, size and checksum; throws ExtractorError naming what is wrong.
/// Does not judge what it was trained on (see canonical_problem).
Extractor load_extractor(const std::string& path);

/// The canonical extractor at `path`. A missing or corrupt file, or one that canonical_problem()
/// refuses (moved aside to PATH.rejected, with a warning naming it), is replaced by one trained
/// on `load_fashion_mnist()`'s training set, loaded only then. Throws ExtractorError when that
/// data is not Fashion-MNIST's training set or the new classifier misses the accuracy bar: FID is
/// then unavailable, for the reason given.
Extractor load_or_train_extractor(
    const std::string& path, const std::function<data::ImageData()>& load_fashion_mnist,
    const std::function<void(const std::string&, const std::string&)>& log,
    const ExtractorTraining& options = {});

/// Features of images [N, 1, 32, 32] in [-1, 1] (clamped), in batches, without gradients.
torch::Tensor extract_features(FashionClassifier net, const torch::Tensor& images,
                               int64_t batch = 500);

}  // namespace wb::engine::eval
