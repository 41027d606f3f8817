// Loads both sets, runs them through the feature extractor (training it first when it is missing
// or corrupt) and prints FID and KID.
#include "app/cli/fid_command.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/cli/train_command.h"
#include "engine/data/data_error.h"
#include "engine/eval/feature_extractor.h"
#include "engine/eval/frechet.h"
#include "engine/eval/image_files.h"

namespace wb::cli {

namespace eval = engine::eval;

int fid_command(const FidOptions& o) {
    const int threads = o.threads > 0
                            ? static_cast<int>(o.threads)
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
    const auto t0 = std::chrono::steady_clock::now();
    try {
        auto a = eval::load_image_set(o.a, o.limit);
        auto b = eval::load_image_set(o.b, o.limit);
        for (const auto& [path, set] : {std::pair{o.a, a}, std::pair{o.b, b}})
            if (set.size(0) < 2) {
                std::fprintf(stderr, "error: %s: a set needs at least 2 images for a covariance\n",
                             path.c_str());
                return kExitDataProblem;
            }
        const std::string path = o.extractor.empty() ? eval::default_extractor_path() : o.extractor;
        auto extractor = eval::load_or_train_extractor(
            path, [&] { return engine::data::load_fashion_mnist(o.data); },
            [](const std::string& level, const std::string& text) {
                std::fprintf(stderr, "%s: %s\n", level.c_str(), text.c_str());
            });
        auto fa = eval::extract_features(extractor.net, a),
             fb = eval::extract_features(extractor.net, b);
        const double fid =
            eval::frechet_distance(eval::gaussian_stats(fa), eval::gaussian_stats(fb));
        const double kid = eval::kernel_distance(fa, fb);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (o.json) {
            nlohmann::json j = {{"fid", fid},
                                {"kid", kid},
                                {"a", {{"path", o.a}, {"images", a.size(0)}}},
                                {"b", {{"path", o.b}, {"images", b.size(0)}}},
                                {"extractor",
                                 {{"path", extractor.path},
                                  {"checksum", extractor.checksum},
                                  {"test_accuracy", extractor.test_accuracy}}},
                                {"seconds", seconds}};
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            std::printf("FID %.4f  KID %.6f\n", fid, kid);
            std::fprintf(stderr, "A: %s (%lld images)\nB: %s (%lld images)\n%s\n%.1f s\n",
                         o.a.c_str(), static_cast<long long>(a.size(0)), o.b.c_str(),
                         static_cast<long long>(b.size(0)), extractor.describe().c_str(), seconds);
        }
        return kExitOk;
    } catch (const engine::data::DataError& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitDataProblem;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return kExitFailure;
    }
}

}  // namespace wb::cli
