// The FID feature extractor: a small Fashion-MNIST classifier trained once and cached as a
// checksummed file in the user's data folder, so every run and `workbench-cli fid` use the same
// one.
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

struct Extractor {
    FashionClassifier net{nullptr};
    double test_accuracy = 0;  ///< on the Fashion-MNIST test set, measured when it was trained
    std::string checksum;      ///< CRC-32 of the weights, hex: the extractor's identity
    std::string path;
    /// One line for logs and the CLI: path, checksum, accuracy.
    std::string describe() const;
};

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
/// its own generator, so the run's random streams are untouched).
Extractor train_extractor(const data::ImageData& data, const ExtractorTraining& options);

/// Writes atomically (temporary file + rename), creating folders; throws ExtractorError.
void save_extractor(const Extractor& extractor, const std::string& path);

/// Reads and verifies magic, size and checksum; throws ExtractorError naming what is wrong.
Extractor load_extractor(const std::string& path);

/// Loads `path`; when it is missing or corrupt, says so through `log` (level, text), trains a new
/// one on `data` (loaded by `load_data` only then) and saves it.
Extractor load_or_train_extractor(
    const std::string& path, const std::function<data::ImageData()>& load_data,
    const std::function<void(const std::string&, const std::string&)>& log,
    const ExtractorTraining& options = {});

/// Features of images [N, 1, 32, 32] in [-1, 1] (clamped), in batches, without gradients.
torch::Tensor extract_features(FashionClassifier net, const torch::Tensor& images,
                               int64_t batch = 500);

}  // namespace wb::engine::eval
