// Sparse attention against dense: forward + backward time and peak activation memory of one
// attention call (q, k, v [B, H, T, D], causal), per context length. Memory is the growth of
// the peak resident set in a forked child that runs one forward and backward (on one thread:
// OpenMP does not survive fork), so each pattern is measured from the same start. One thread unless
// --threads.
//   bench_attention [--batch 4] [--heads 4] [--head-dim 32] [--window 128] [--block 64]
//                   [--summary 8] [--contexts 64,128,256,512,1024,2048] [--repeats 5] [--json F]
//                   [--device cuda]   (on a GPU: memory is the CUDA allocator's peak)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/timing.h"
#include "engine/compat.h"
#include "engine/models/sparse_attention.h"

using namespace wb;

namespace {

struct Options {
    int64_t batch = 4, heads = 4, head_dim = 32, window = 128, block = 64, summary = 8;
    int threads = 1, repeats = 5;
    std::vector<int64_t> contexts = {64, 128, 256, 512, 1024, 2048};
    std::string json;
    std::string device = "cpu";
};

int64_t rss_kib() {
    std::ifstream statm("/proc/self/statm");
    int64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double fwd_bwd_ms(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  const api::AttentionPattern& p) {
    auto qq = q.detach().requires_grad_(), kk = k.detach().requires_grad_(),
         vv = v.detach().requires_grad_();
    const auto device = q.device();
    compat::synchronize(device);
    const auto t0 = std::chrono::steady_clock::now();
    auto y = p.kind == api::AttentionPattern::Kind::Dense
                 ? models::masked_dense_attention(qq, kk, vv, p)
                 : models::pattern_attention(qq, kk, vv, p);
    y.sum().backward();
    compat::synchronize(device);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Peak memory growth (MiB) of one forward + backward: on a GPU the allocator's peak, on the
// CPU the peak resident set of a child process.
double peak_mib(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                const api::AttentionPattern& p) {
    if (q.is_cuda()) {
        const int index = q.device().index();
        const auto before = compat::cuda_memory(index).allocated_bytes;
        compat::reset_cuda_peak(index);
        fwd_bwd_ms(q, k, v, p);
        return static_cast<double>(compat::cuda_memory(index).peak_bytes - before) / (1 << 20);
    }
    int fds[2];
    if (pipe(fds) != 0) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        // OpenMP's thread pool does not survive fork(): the child computes on one thread (the
        // activations it holds are the same).
        torch::set_num_threads(1);
        const int64_t before = rss_kib();
        fwd_bwd_ms(q, k, v, p);
        rusage u{};
        getrusage(RUSAGE_SELF, &u);
        const double mib = static_cast<double>(u.ru_maxrss - before) / 1024.0;
        if (write(fds[1], &mib, sizeof mib) != sizeof mib) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double mib = -1;
    if (read(fds[0], &mib, sizeof mib) != sizeof mib) mib = -1;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return mib;
}

std::vector<int64_t> parse_list(const std::string& s) {
    std::vector<int64_t> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoll(item));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--batch")
            o.batch = std::stoll(v);
        else if (a == "--heads")
            o.heads = std::stoll(v);
        else if (a == "--head-dim")
            o.head_dim = std::stoll(v);
        else if (a == "--window")
            o.window = std::stoll(v);
        else if (a == "--block")
            o.block = std::stoll(v);
        else if (a == "--summary")
            o.summary = std::stoll(v);
        else if (a == "--threads")
            o.threads = std::stoi(v);
        else if (a == "--repeats")
            o.repeats = std::stoi(v);
        else if (a == "--contexts")
            o.contexts = parse_list(v);
        else if (a == "--json")
            o.json = v;
        else if (a == "--device")
            o.device = v;
        else {
            std::fprintf(stderr, "bench_attention: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    torch::set_num_threads(o.threads);
    const torch::Device device(o.device);
    if (device.is_cuda() && !compat::cuda_usable()) {
        std::fprintf(stderr, "bench_attention: no usable CUDA device\n");
        return 1;
    }
    api::AttentionPattern dense, window, block;
    window.kind = api::AttentionPattern::Kind::Window;
    window.window = o.window;
    block.kind = api::AttentionPattern::Kind::Block;
    block.block = o.block;
    block.summary = o.summary;
    nlohmann::json rows = nlohmann::json::array();
    std::printf(
        "B=%lld H=%lld D=%lld, %d thread(s); forward+backward ms (median of %d) / peak MiB\n",
        static_cast<long long>(o.batch), static_cast<long long>(o.heads),
        static_cast<long long>(o.head_dim), o.threads, o.repeats);
    std::printf("%6s  %18s  %18s  %18s  %9s  %9s\n", "T", "dense", window.describe().c_str(),
                block.describe().c_str(), "win x", "block x");
    for (const int64_t T : o.contexts) {
        torch::manual_seed(T);
        auto q = torch::randn({o.batch, o.heads, T, o.head_dim}).to(device);
        auto k = torch::randn({o.batch, o.heads, T, o.head_dim}).to(device);
        auto v = torch::randn({o.batch, o.heads, T, o.head_dim}).to(device);
        nlohmann::json row = {{"context", T}};
        double ms[3], mib[3];
        const api::AttentionPattern* patterns[] = {&dense, &window, &block};
        for (int i = 0; i < 3; ++i) {
            const auto& p = *patterns[i];
            const bool fits = p.kind != api::AttentionPattern::Kind::Window || p.window <= T;
            if (!fits || (p.kind == api::AttentionPattern::Kind::Block && T % p.block != 0)) {
                ms[i] = mib[i] = -1;
                continue;
            }
            fwd_bwd_ms(q, k, v, p);  // warm-up
            std::vector<double> t;
            for (int r = 0; r < o.repeats; ++r) t.push_back(fwd_bwd_ms(q, k, v, p));
            ms[i] = bench::median(t);
            mib[i] = peak_mib(q, k, v, p);
        }
        auto cell = [](double a, double b) {
            char s[40];
            if (a < 0)
                std::snprintf(s, sizeof s, "-");
            else
                std::snprintf(s, sizeof s, "%.1f / %.0f", a, b);
            return std::string(s);
        };
        auto ratio = [&](int i) {
            char s[24];
            if (ms[i] <= 0)
                std::snprintf(s, sizeof s, "-");
            else
                std::snprintf(s, sizeof s, "%.1fx", ms[0] / ms[i]);
            return std::string(s);
        };
        std::printf("%6lld  %18s  %18s  %18s  %9s  %9s\n", static_cast<long long>(T),
                    cell(ms[0], mib[0]).c_str(), cell(ms[1], mib[1]).c_str(),
                    cell(ms[2], mib[2]).c_str(), ratio(1).c_str(), ratio(2).c_str());
        const char* names[] = {"dense", "window", "block"};
        for (int i = 0; i < 3; ++i)
            if (ms[i] >= 0) row[names[i]] = {{"ms", ms[i]}, {"peak_mib", mib[i]}};
        rows.push_back(row);
    }
    if (!o.json.empty()) {
        std::ofstream(o.json) << nlohmann::json{{"device", o.device}, {"window", o.window},
                                                {"block", o.block},   {"summary", o.summary},
                                                {"batch", o.batch},   {"threads", o.threads},
                                                {"rows", rows}}
                                     .dump(2)
                              << "\n";
    }
    return 0;
}
