// c10d's TCPStore and ProcessGroupGloo behind Collectives. Version differences (LibTorch 1.13's
// ProcessGroupGloo is a ProcessGroup, 2.x's a Backend) stay in engine/compat_c10d.h.
#include "engine/dist/gloo_group.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/compat_c10d.h"

namespace wb::engine::dist {

using Clock = std::chrono::steady_clock;

namespace {

std::string first_line(const std::exception& e) {
    std::string what = e.what();
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) what = c10->what_without_backtrace();
    return what.substr(0, what.find('\n'));
}

bool is_loopback(const std::string& addr) {
    in_addr a{};
    return addr == "localhost" ||
           (inet_pton(AF_INET, addr.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
}

// Like PyTorch's Python binding: one device per name in GLOO_SOCKET_IFNAME, else the address the
// hostname resolves to. A group on the loopback address binds there, so it never depends on how
// the hostname resolves (Debian: 127.0.1.1).
std::vector<std::shared_ptr<::gloo::transport::Device>> devices(const std::string& addr) {
    std::vector<std::shared_ptr<::gloo::transport::Device>> out;
    if (const char* names = std::getenv("GLOO_SOCKET_IFNAME"); names && *names) {
        std::stringstream list(names);
        for (std::string name; std::getline(list, name, ',');)
            if (!name.empty())
                out.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(name));
    } else if (is_loopback(addr)) {
        out.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
        out.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    return out;
}

}  // namespace

struct GlooGroup::Impl {
    api::DistJoin join;  ///< of a subgroup: rank and world within it
    std::chrono::milliseconds timeout;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
    double own_comm_ms = 0;
    double* comm_ms = &own_comm_ms;       ///< a subgroup's time counts to the whole group's
    std::string name = "the group";       ///< a subgroup's: "the subgroup of ranks 0, 2"
    std::shared_ptr<GlooGroup> parent;    ///< keeps the whole group (and its store) alive
    int whole_rank = 0, whole_world = 1;  ///< this rank in the whole group, for messages

    // Waits for `work`, counting the time as communication; a lost or late rank becomes an
    // error that says which rank saw it and what the launcher knows of the others.
    void wait(const c10::intrusive_ptr<c10d::Work>& work, const char* what) {
        const auto t0 = Clock::now();
        try {
            work->wait(timeout);
        } catch (const std::exception& e) {
            throw std::runtime_error(failure(what, first_line(e)));
        }
        *comm_ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    }

    std::string failure(const char* what, const std::string& cause) const {
        std::string peers;
        // A killed rank's connection closes before its launcher has reaped it: give it a moment.
        for (int i = 0; i < 20 && join.peers_report && peers.empty(); ++i) {
            peers = join.peers_report();
            if (peers.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return "distributed run: rank " + std::to_string(whole_rank) + " of " +
               std::to_string(whole_world) + " lost the other ranks during " + what +
               (name == "the group" ? "" : " in " + name) + " (" + cause + ")" +
               (peers.empty() ? "" : ": " + peers) +
               ". `workbench-cli resume` with the run's id continues it from its last "
               "checkpoint, with any number of ranks";
    }
};

std::shared_ptr<GlooGroup> GlooGroup::join(const api::DistJoin& join,
                                           std::chrono::milliseconds timeout) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<GlooGroup>> live;
    const std::string key = join.addr + ":" + std::to_string(join.port) + "/" +
                            std::to_string(join.rank) + "/" + std::to_string(join.restart);
    std::lock_guard<std::mutex> lock(mutex);
    if (auto g = live[key].lock()) return g;
    auto impl = std::make_unique<Impl>();
    impl->join = join;
    impl->timeout = timeout;
    impl->whole_rank = join.rank;
    impl->whole_world = join.world;
    const std::string where = join.addr + ":" + std::to_string(join.port);
    std::string lost;
    try {
        c10d::TCPStoreOptions o;
        o.port = static_cast<uint16_t>(join.port);
        o.isServer = join.rank == 0 && !join.agent_store;
        o.numWorkers = join.world;
        o.waitWorkers = false;
        o.timeout = timeout;
        auto tcp = c10::make_intrusive<c10d::TCPStore>(join.addr, o);
        impl->store = c10::make_intrusive<c10d::PrefixStore>(
            "wb.attempt" + std::to_string(join.restart), tcp);
        // Every rank counts itself in. Rank 0 waits for the count while watching the ranks it
        // started, so one that dies before it joins fails the run at once, named, instead of
        // after the whole timeout inside ProcessGroupGloo's constructor.
        impl->store->add("joined", 1);
        const auto until = Clock::now() + timeout;
        while (join.rank == 0 && join.peers_report && impl->store->add("joined", 0) < join.world &&
               Clock::now() < until) {
            lost = join.peers_report();
            if (!lost.empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        auto options = c10d::ProcessGroupGloo::Options::create(timeout);
        options->devices = devices(join.addr);
        options->threads = 2;
        if (lost.empty())
            impl->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, join.rank,
                                                                   join.world, options);
    } catch (const std::exception& e) {
        throw std::runtime_error("distributed run: rank " + std::to_string(join.rank) + " of " +
                                 std::to_string(join.world) + " could not join the group at " +
                                 where + " (" + first_line(e) +
                                 "). Check MASTER_ADDR and MASTER_PORT, that every rank can "
                                 "reach rank 0 there, and GLOO_SOCKET_IFNAME on several machines");
    }
    if (!lost.empty())
        throw std::runtime_error("distributed run: a rank ended before the group was formed: " +
                                 lost + ". Nothing was trained; start the run again");
    std::shared_ptr<GlooGroup> g(new GlooGroup(std::move(impl)));
    live[key] = g;
    return g;
}

GlooGroup::GlooGroup(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
GlooGroup::~GlooGroup() = default;

int GlooGroup::rank() const {
    return m->join.rank;
}
int GlooGroup::world() const {
    return m->join.world;
}

void GlooGroup::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    works.reserve(tensors.size());
    for (auto& t : tensors) {
        std::vector<at::Tensor> one{t};
        works.push_back(m->pg->allreduce(one));
    }
    for (auto& w : works) m->wait(w, "an all-reduce");
}

std::function<void()> GlooGroup::all_reduce_sum_async(torch::Tensor tensor) {
    std::vector<at::Tensor> one{std::move(tensor)};
    auto work = m->pg->allreduce(one);
    return [this, work] { m->wait(work, "an all-reduce"); };
}

torch::Tensor GlooGroup::all_gather(const torch::Tensor& local) {
    auto in = local.contiguous();
    std::vector<std::vector<at::Tensor>> out(1);
    for (int r = 0; r < world(); ++r) out[0].push_back(torch::empty_like(in));
    std::vector<at::Tensor> inputs{in};
    m->wait(m->pg->allgather(out, inputs), "an all-gather");
    return torch::cat(out[0], 0);
}

void GlooGroup::broadcast(std::vector<torch::Tensor>& tensors, int root) {
    for (auto& t : tensors) {
        std::vector<at::Tensor> one{t};
        c10d::BroadcastOptions o;
        o.rootRank = root;
        m->wait(m->pg->broadcast(one, o), "a broadcast");
    }
}

std::function<void()> GlooGroup::send_async(torch::Tensor tensor, int dst, int tag) {
    std::vector<at::Tensor> one{tensor.contiguous()};
    auto work = m->pg->send(one, dst, tag);
    return [this, work] { m->wait(work, "a send to the next pipeline stage"); };
}

std::function<void()> GlooGroup::recv_async(torch::Tensor tensor, int src, int tag) {
    std::vector<at::Tensor> one{std::move(tensor)};
    auto work = m->pg->recv(one, src, tag);
    return [this, work] { m->wait(work, "a receive from another pipeline stage"); };
}

double GlooGroup::take_comm_ms() {
    const double ms = *m->comm_ms;
    *m->comm_ms = 0;
    return ms;
}

// Its own ProcessGroupGloo over the same store, under a prefix that names its members, so
// groups of different members never meet; only the members construct it (Gloo's rendezvous
// is over the store, between them alone).
std::shared_ptr<Collectives> GlooGroup::subgroup(const std::vector<int>& ranks) {
    const auto at = std::find(ranks.begin(), ranks.end(), rank());
    if (at == ranks.end() || !std::is_sorted(ranks.begin(), ranks.end()))
        throw std::logic_error("GlooGroup::subgroup: this rank is not among the ranks");
    std::string members;
    for (int r : ranks) members += (members.empty() ? "" : ", ") + std::to_string(r);
    auto impl = std::make_unique<Impl>();
    impl->join = m->join;
    impl->join.rank = static_cast<int>(at - ranks.begin());
    impl->join.world = static_cast<int>(ranks.size());
    impl->timeout = m->timeout;
    impl->comm_ms = m->comm_ms;
    impl->name = "the subgroup of ranks " + members;
    impl->whole_rank = m->whole_rank;
    impl->whole_world = m->whole_world;
    impl->parent = shared_from_this();
    try {
        impl->store = c10::make_intrusive<c10d::PrefixStore>("sub[" + members + "]", m->store);
        auto options = c10d::ProcessGroupGloo::Options::create(m->timeout);
        options->devices = devices(m->join.addr);
        options->threads = 2;
        impl->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, impl->join.rank,
                                                               impl->join.world, options);
    } catch (const std::exception& e) {
        throw std::runtime_error(impl->failure("the forming of its subgroup", first_line(e)));
    }
    return std::shared_ptr<GlooGroup>(new GlooGroup(std::move(impl)));
}

void GlooGroup::publish(const StartRecord& r) {
    const nlohmann::json j = {{"run_id", r.run_id},
                              {"config", r.config_json},
                              {"checkpoint_dir", r.checkpoint_dir},
                              {"resume", r.resume}};
    const std::string text = j.dump();
    m->store->set("start", std::vector<uint8_t>(text.begin(), text.end()));
}

StartRecord GlooGroup::start_record() {
    std::vector<uint8_t> bytes;
    try {
        bytes = m->store->get("start");
    } catch (const std::exception& e) {
        throw std::runtime_error("distributed run: rank " + std::to_string(rank()) +
                                 " got no run from rank 0 (" + first_line(e) + ")");
    }
    const auto j = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
    return {j.at("run_id").get<int64_t>(), j.at("config").get<std::string>(),
            j.at("checkpoint_dir").get<std::string>(), j.at("resume").get<bool>()};
}

}  // namespace wb::engine::dist
