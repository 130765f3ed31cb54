#include "harness/latency_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "harness/interrupt.h"
#include "vocab/assert.h"
#include "vocab/dataset.h"
#include "vocab/nearest_rank.h"

namespace replsim::harness {
namespace {

using Clock = std::chrono::steady_clock;

int64_t since_us(Clock::time_point origin) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - origin).count();
}

// One COMMIT as a client saw it, in microseconds since the measurement's origin.
struct CommitSample {
  int64_t start_us = 0;
  int64_t end_us = 0;
};

// What one client thread brings back.
struct ClientLog {
  std::vector<CommitSample> commits;
  std::string error;  // The first error; the client stops at it.
};

// splitmix64: each client draws its own customers and items, reproducibly per client index.
uint64_t next_random(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

size_t row_count(const Dataset& d, const std::string& table) {
  for (const auto& t : d.rows)
    if (t.table == table) return t.rows.size();
  return 0;
}

// The seed's order workload, one transaction: an order for an existing customer and 1-3 items.
// Only the COMMIT is timed, because it is the statement synchronous replication delays.
struct OrderWorkload {
  size_t customers = 1, products = 1;
  int64_t commit_timeout_ms = 30000;

  Status run_one(PgConnection& c, uint64_t& rng, Clock::time_point origin, CommitSample* sample) const {
    const std::string customer = std::to_string(1 + next_random(rng) % customers);
    if (Status s = c.exec("BEGIN").status(); !s.ok()) return s;
    PgReply order = c.exec("INSERT INTO orders (customerid, status) VALUES ($1, $2) RETURNING id", {customer, "new"});
    if (!order.ok) return order.status();
    const std::string order_id = order.at(0, 0);
    const int items = 1 + static_cast<int>(next_random(rng) % 3);
    for (int i = 0; i < items; ++i) {
      const std::string product = std::to_string(1 + next_random(rng) % products);
      const std::string quantity = std::to_string(1 + next_random(rng) % 5);
      PgReply r = c.exec("INSERT INTO orderitems (orderid, productid, quantity) VALUES ($1, $2, $3)",
                         {order_id, product, quantity});
      if (!r.ok) return r.status();
    }
    sample->start_us = since_us(origin);
    PgReply commit = c.exec("COMMIT", {}, commit_timeout_ms);
    sample->end_us = since_us(origin);
    if (commit.timed_out) return Status::Timeout(fmt::format("COMMIT not back after {} ms", commit_timeout_ms));
    return commit.status();
  }
};

// Values written into ALTER SYSTEM, which takes no bind parameters: only these characters.
bool safe_setting(const std::string& value) {
  return std::all_of(value.begin(), value.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == ' ' || ch == ',' ||
           ch == '(' || ch == ')' || ch == '_';
  });
}

// The sync_state PostgreSQL should show for `standby` under `names` (20.6.2, 27.2.8.2).
std::string expected_sync_state(const std::string& names, const std::string& standby) {
  if (names.empty()) return "async";
  if (names.rfind("ANY", 0) == 0) return "quorum";
  return standby == "s1" ? "sync" : "potential";
}

NodeSpec standby_spec(const std::string& name) {
  NodeSpec spec;
  spec.name = name;
  return spec;
}

}  // namespace

LatencyBench::LatencyBench(const HarnessOptions& options, std::unique_ptr<Cluster> cluster)
    : options_(options), cluster_(std::move(cluster)) {}

LatencyBench::~LatencyBench() {
  admin_.reset();  // Before the servers stop under it.
}

Result<std::unique_ptr<LatencyBench>> LatencyBench::create(const HarnessOptions& options) {
  ClusterSpec spec;
  spec.nodes = {standby_spec("primary"), standby_spec("s1"), standby_spec("s2")};
  spec.nodes[0].role = NodeRole::kPrimary;
  spec.synchronous_commit = SyncCommit::kLocal;
  spec.link_latency_us = 0;  // Latency is each configuration's own, set on the proxy.
  spec.dataset = "seed";
  auto cluster = Cluster::create(options, spec);
  if (!cluster.ok()) return cluster.status();
  std::unique_ptr<LatencyBench> bench(new LatencyBench(options, std::move(*cluster)));
  Cluster& c = *bench->cluster_;
  if (Status s = c.init_primary("primary"); !s.ok()) return bench->fail(s.message());
  if (Status s = c.load_dataset("primary", seed_dataset()); !s.ok()) return bench->fail(s.message());
  for (const char* standby : {"s1", "s2"}) {
    if (Status s = c.add_standby(standby_spec(standby), "primary"); !s.ok()) return bench->fail(s.message());
  }
  for (const char* standby : {"s1", "s2"}) {
    if (Status s = c.wait_streaming(standby, options.ready_timeout_ms); !s.ok()) return bench->fail(s.message());
  }
  auto admin = c.connect(*c.node("primary"));
  if (!admin.ok()) return bench->fail(admin.status().message());
  bench->admin_ = std::move(*admin);
  // The admin session itself must never wait for a standby (it runs during partitions).
  if (Status s = bench->admin_->exec("SET synchronous_commit = local").status(); !s.ok())
    return bench->fail(s.message());
  return bench;
}

Result<std::string> LatencyBench::primary_setting(const std::string& name) {
  REPLSIM_ASSERT(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos,
                 "a setting's name");
  PgReply r = admin_->exec("SHOW " + name);
  if (!r.ok) return fail(r.error);
  return r.at(0, 0);
}

std::string LatencyBench::server_logs(size_t lines) const {
  std::string out;
  for (ClusterNode* n : cluster_->nodes()) {
    if (!n->server) continue;
    out += fmt::format("--- {} ({}):\n{}", n->name, n->log_path, n->server->log_tail(lines));
    if (!out.empty() && out.back() != '\n') out += '\n';
  }
  return out;
}

Status LatencyBench::fail(const std::string& what) const {
  return Status::Failed(fmt::format("{}\nserver logs:\n{}", what, server_logs(8)));
}

Status LatencyBench::apply_settings(const BenchConfig& config) {
  if (!safe_setting(config.standby_names))
    return Status::InvalidInput(fmt::format("unsupported synchronous_standby_names '{}'", config.standby_names));
  // Both values come from fixed tables (to_string of the enum, checked names above), so
  // pasting them into ALTER SYSTEM cannot inject anything.
  for (const std::string& sql : {fmt::format("ALTER SYSTEM SET synchronous_commit = '{}'", to_string(config.level)),
                                 fmt::format("ALTER SYSTEM SET synchronous_standby_names = '{}'", config.standby_names),
                                 std::string("SELECT pg_reload_conf()")}) {
    if (Status s = admin_->exec(sql).status(); !s.ok()) return fail(fmt::format("{}: {}", sql, s.message()));
  }
  for (const char* link : {"s1", "s2"}) {
    LinkFaults f = cluster_->proxy().faults(link);
    f.latency_to_standby_us = f.latency_to_primary_us = config.one_way_latency_us;
    cluster_->proxy().set_faults(link, f);
  }
  return Status::Ok();
}

// Waits until a new session sees the settings and pg_stat_replication shows both standbys
// streaming with the sync_state the names imply: the reload reaches backends asynchronously.
Status LatencyBench::wait_replicas_ready(const BenchConfig& config, int64_t timeout_ms, std::string* sync_states) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string last;
  for (int sleep_ms = 2;; sleep_ms = std::min(sleep_ms * 2, 50)) {
    auto probe = cluster_->connect(*cluster_->node("primary"));
    if (!probe.ok()) return fail(probe.status().message());
    PgReply names = (*probe)->exec(
        "SELECT current_setting('synchronous_standby_names'), "
        "current_setting('synchronous_commit')");
    PgReply rows = (*probe)->exec(
        "SELECT application_name, sync_state FROM pg_stat_replication WHERE state = 'streaming' "
        "ORDER BY application_name");
    if (!names.ok || !rows.ok) return fail(names.ok ? rows.error : names.error);
    bool good = names.at(0, 0) == config.standby_names && names.at(0, 1) == to_string(config.level) &&
                rows.rows.size() == 2;
    last.clear();
    for (size_t i = 0; i < rows.rows.size(); ++i) {
      const std::string& app = rows.at(i, 0);
      const std::string& state = rows.at(i, 1);
      last += fmt::format("{}{}={}", i ? " " : "", app, state);
      good = good && state == expected_sync_state(config.standby_names, app);
    }
    if (good) {
      *sync_states = last;
      return Status::Ok();
    }
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) {
      return fail(fmt::format("standbys not ready for '{}' after {} ms (pg_stat_replication: {})", config.standby_names,
                              timeout_ms, last));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  }
}

// Both standbys have flushed everything the primary wrote, so the next configuration does not
// pay for this one's backlog. (flush, not replay: replay positions are reported only every
// wal_receiver_status_interval when nobody waits for them.)
Status LatencyBench::wait_caught_up(int64_t timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (int sleep_ms = 2;; sleep_ms = std::min(sleep_ms * 2, 50)) {
    PgReply r = admin_->exec(
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' "
        "AND flush_lsn >= pg_current_wal_flush_lsn()");
    if (!r.ok) return fail(r.error);
    if (r.at(0, 0) == "2") return Status::Ok();
    if (interrupted()) return Status::Interrupted("interrupted");
    if (Clock::now() > deadline) return fail(fmt::format("standbys not caught up after {} ms", timeout_ms));
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  }
}

namespace {

// The measurement's windows, in microseconds since its origin.
struct BenchWindows {
  int64_t steady_end_us = 0;
  bool partition = false;
  int64_t partition_start_us = 0, heal_us = 0;
};

void partition_for(Cluster& cluster, const BenchConfig& config) {
  for (const auto& n : config.partition_nodes) cluster.partition(n, PartitionDirection::kBoth);
  std::this_thread::sleep_for(std::chrono::milliseconds(config.partition_window_ms));
  for (const auto& n : config.partition_nodes) {
    cluster.heal(n);
    // Drop the half-dead connections so the walreceiver reconnects at once
    // (wal_retrieve_retry_interval) instead of after wal_receiver_timeout.
    cluster.proxy().reset(n);
  }
}

// The clients run the workload from one origin: the steady state for duration_ms, then, if
// asked, while the partition lasts. Each thread connects first, so connection time is not in
// the window.
BenchWindows run_clients(Cluster& cluster, const HarnessOptions& options, const BenchConfig& config,
                         std::vector<ClientLog>* logs) {
  const Dataset& seed = seed_dataset();
  OrderWorkload workload{row_count(seed, "customers"), row_count(seed, "products"),
                         config.partition_window_ms + options.catchup_timeout_ms + 5000};
  const ConnTarget target = cluster.target(*cluster.node("primary"));
  std::atomic<bool> stop{false};
  std::atomic<int> connected{0};
  Clock::time_point origin = Clock::now();
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < config.clients; ++i) {
    threads.emplace_back([&, i] {
      ClientLog& log = (*logs)[static_cast<size_t>(i)];
      auto conn = PgConnection::connect(target, 3000, fmt::format("compare-client-{}", i));
      connected.fetch_add(1);
      if (!conn.ok()) {
        log.error = conn.status().message();
        return;
      }
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      uint64_t rng = 0x5eed0000ULL + static_cast<uint64_t>(i);
      while (!stop.load() && !interrupted()) {
        CommitSample sample;
        if (Status s = workload.run_one(**conn, rng, origin, &sample); !s.ok()) {
          log.error = s.message();
          return;
        }
        log.commits.push_back(sample);
      }
    });
  }
  while (connected.load() < config.clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  origin = Clock::now();  // Threads read it only after `go`.
  go.store(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(config.duration_ms));
  BenchWindows w;
  w.steady_end_us = since_us(origin);
  w.partition = config.partition_window_ms > 0 && !config.partition_nodes.empty();
  if (w.partition) {
    w.partition_start_us = since_us(origin);
    partition_for(cluster, config);
    w.heal_us = since_us(origin);
  }
  stop.store(true);
  for (auto& t : threads) t.join();
  return w;
}

// Latencies are the steady state's commits; the stall is the longest wait of a commit in
// flight during the partition, counted from the partition's start.
void summarise(const BenchConfig& config, const std::vector<ClientLog>& logs, const BenchWindows& w,
               int64_t block_after_ms, BenchMeasure* m) {
  std::vector<double> latencies;
  for (const auto& log : logs) {
    for (const auto& c : log.commits) {
      m->commit_series.push_back(
          {static_cast<double>(c.end_us) / 1000.0, static_cast<double>(c.end_us - c.start_us) / 1000.0});
      if (c.end_us <= w.steady_end_us) latencies.push_back(static_cast<double>(c.end_us - c.start_us) / 1000.0);
      if (w.partition && c.end_us > w.partition_start_us) {
        const double wait_ms = static_cast<double>(c.end_us - std::max(c.start_us, w.partition_start_us)) / 1000.0;
        if (wait_ms > m->stall_ms) {
          m->stall_ms = wait_ms;
          // A commit released well before the heal was released by another standby.
          m->released_by = c.end_us + 20'000 < w.heal_us ? "failover" : "heal";
        }
        if (c.end_us <= w.heal_us) ++m->partition_commits;
      }
    }
  }
  std::sort(m->commit_series.begin(), m->commit_series.end(),
            [](const CommitPoint& a, const CommitPoint& b) { return a.at_ms < b.at_ms; });
  m->steady_end_ms = static_cast<double>(w.steady_end_us) / 1000.0;
  m->partition_start_ms = static_cast<double>(w.partition_start_us) / 1000.0;
  m->heal_ms = static_cast<double>(w.heal_us) / 1000.0;
  std::sort(latencies.begin(), latencies.end());
  m->commits = static_cast<int64_t>(latencies.size());
  m->tps = static_cast<double>(m->commits) * 1000.0 / static_cast<double>(config.duration_ms);
  if (!latencies.empty()) {
    m->commit_p50_ms = nearest_rank(latencies, 50);
    m->commit_p95_ms = nearest_rank(latencies, 95);
    m->commit_p99_ms = nearest_rank(latencies, 99);
  }
  m->commit_max_ms = latencies.empty() ? 0 : latencies.back();
  if (w.partition) {
    m->partitioned = true;
    m->partition_window_ms = config.partition_window_ms;
    m->blocked = m->stall_ms >= static_cast<double>(block_after_ms);
    if (!m->blocked) m->released_by.clear();
  }
}

}  // namespace

Result<BenchMeasure> LatencyBench::measure(const BenchConfig& config) {
  if (config.clients < 1 || config.clients > 64 || config.duration_ms <= 0)
    return Status::InvalidInput("clients must be 1..64 and the duration positive");
  if (Status s = apply_settings(config); !s.ok()) return s;
  BenchMeasure m;
  if (Status s = wait_replicas_ready(config, options_.ready_timeout_ms, &m.sync_states); !s.ok()) return s;
  std::vector<ClientLog> logs(static_cast<size_t>(config.clients));
  const BenchWindows w = run_clients(*cluster_, options_, config, &logs);
  for (const auto& log : logs) {
    if (!log.error.empty()) return fail(fmt::format("a client failed: {}", log.error));
  }
  summarise(config, logs, w, options_.block_after_ms, &m);
  if (Status s = wait_caught_up(options_.catchup_timeout_ms); !s.ok()) return s;
  return m;
}

}  // namespace replsim::harness
