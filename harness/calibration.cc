// The measurements behind `replsim calibrate`. Steps go through the harness's own handlers
// (Runner's on_<kind>) so that a step costs here what it costs in `replsim run --real`; only
// the commit levels and WAL shipping use connections of their own, because no step isolates
// them. docs/timing.md describes each measurement.
#include "harness/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "harness/cluster.h"
#include "harness/interrupt.h"
#include "harness/runner.h"
#include "vocab/assert.h"
#include "vocab/step_visitor.h"

namespace replsim::harness {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPrimary = "primary";
constexpr const char* kStandby = "s1";

int64_t since_us(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}

Step make_step(StepKind kind, const std::string& node = "", const std::string& name = "") {
  Step st;
  st.kind = kind;
  st.node = node;
  st.name = name;
  st.text = fmt::format("{}{}{}", to_string(kind), node.empty() ? "" : " " + node, name.empty() ? "" : " " + name);
  return st;
}

Step write_step(StepKind kind, const std::string& label, const std::string& table) {
  Step st = make_step(kind);
  st.label = label;
  st.table = table;
  st.text = fmt::format("{} {} ({})", to_string(kind), table, label);
  return st;
}

// The cluster calibrate measures on: a primary and one standby, archiving, no added latency
// on the link (a scenario's link_latency adds to what is measured here).
Scenario calibration_scenario() {
  Scenario sc;
  sc.name = "calibrate";
  sc.cluster.nodes = {NodeSpec{kPrimary, NodeRole::kPrimary, false, {}, std::nullopt},
                      NodeSpec{kStandby, NodeRole::kStandby, false, {}, std::nullopt}};
  sc.cluster.archive_mode = true;
  sc.cluster.link_latency_us = 0;
  return sc;
}

class Calibrator {
 public:
  Calibrator(const CalibrationOptions& o, Cluster& c, Runner& r) : o_(o), c_(c), r_(r) {}

  Status measure_steps(int64_t i);
  Status measure_commit_levels();
  Status measure_wal_shipping();
  Status measure_promotions();
  Result<std::string> server_version();
  void progress(const std::string& line) const {
    if (o_.progress) o_.progress(line);
  }

  // Summarizes what was measured into `p`'s steps, wal_shipping and commit.
  void fill(MeasuredTiming* p) const;

 private:
  // Runs the step through the harness's handler and records its wall time under its kind.
  Status timed(const Step& st);
  Result<std::unique_ptr<PgConnection>> connect(const std::string& node);
  Status exec(PgConnection& conn, const std::string& sql, const std::vector<std::string>& params = {});
  Status wait_sync_state(PgConnection& admin, const std::string& want);

  const CalibrationOptions& o_;
  Cluster& c_;
  Runner& r_;
  std::string primary_ = kPrimary;
  std::map<std::string, std::vector<int64_t>> steps_;    // Wall times by step kind.
  std::map<std::string, std::vector<int64_t>> commits_;  // By synchronous_commit level.
  std::vector<int64_t> shipping_;
};

void Calibrator::fill(MeasuredTiming* p) const {
  for (const auto& [name, samples] : steps_) p->steps[name] = summarize_latencies(samples);
  for (const auto& [level, samples] : commits_) p->commit[level] = summarize_latencies(samples);
  p->wal_shipping = summarize_latencies(shipping_);
}

Status Calibrator::timed(const Step& st) {
  if (interrupted()) return Status::Interrupted("interrupted; every server stopped");
  const auto t0 = Clock::now();
  Status s = visit_step(st, r_);
  const int64_t us = since_us(t0);
  if (!s.ok()) return Status::Failed(fmt::format("{}: {}", st.text, s.message()));
  steps_[to_string(st.kind)].push_back(us);
  return Status::Ok();
}

Result<std::unique_ptr<PgConnection>> Calibrator::connect(const std::string& node) {
  ClusterNode* n = c_.node(node);
  REPLSIM_ASSERT(n != nullptr, "calibrate connects only to nodes it made");
  return c_.connect(*n);
}

Status Calibrator::exec(PgConnection& conn, const std::string& sql, const std::vector<std::string>& params) {
  PgReply r = conn.exec(sql, params, o_.harness.statement_timeout_ms);
  return r.ok ? Status::Ok() : Status::Failed(fmt::format("{}: {}", sql, r.error));
}

// One round of every step kind, leaving the cluster as it found it: s1 streaming, the
// archive working, no extra node running.
Status Calibrator::measure_steps(int64_t i) {
  const std::string tag = std::to_string(i);
  const std::string first = "cal" + tag;
  Step insert = write_step(StepKind::kInsert, "insert-" + tag, "customers");
  insert.values = {{"firstname", first}, {"lastname", "Calibrate"}};
  Step update = write_step(StepKind::kUpdate, "update-" + tag, "customers");
  update.values = {{"email", first + "@example.com"}};
  update.where = {{"firstname", first}};
  Step del = write_step(StepKind::kDelete, "delete-" + tag, "customers");
  del.where = {{"firstname", first}};
  Step restore = make_step(StepKind::kRestore, "r" + tag);
  restore.backup = "backup-" + tag;
  restore.target.kind = RecoveryTarget::Kind::kImmediate;
  restore.target.action = RecoveryTarget::Action::kPromote;
  Step copy = make_step(StepKind::kNaiveCopy, "", "copy-" + tag);
  copy.files = naive_copy_parts();
  const std::vector<Step> round = {insert,
                                   update,
                                   del,
                                   write_step(StepKind::kTruncate, "truncate-" + tag, "orderitems"),
                                   make_step(StepKind::kMark, "", "mark-" + tag),
                                   make_step(StepKind::kCatchup, kStandby),
                                   make_step(StepKind::kCheckLag, kStandby, "lag-" + tag),
                                   make_step(StepKind::kPause, kStandby),
                                   make_step(StepKind::kResume, kStandby),
                                   make_step(StepKind::kPartition, kStandby),
                                   make_step(StepKind::kHeal, kStandby),
                                   make_step(StepKind::kCrash, kStandby),
                                   make_step(StepKind::kStart, kStandby),
                                   make_step(StepKind::kStop, kStandby),
                                   make_step(StepKind::kStart, kStandby),
                                   make_step(StepKind::kCheckpoint),
                                   make_step(StepKind::kRestorePoint, "", "rp-" + tag),
                                   make_step(StepKind::kSwitchWal),
                                   make_step(StepKind::kBaseBackup, "", "backup-" + tag),
                                   restore,
                                   make_step(StepKind::kWipe, "r" + tag),
                                   make_step(StepKind::kBreakArchive),
                                   make_step(StepKind::kRepairArchive),
                                   copy};
  for (const Step& st : round) {
    if (Status s = timed(st); !s.ok()) return s;
    // A restore's failure is its node's error, not the handler's Status.
    if (st.kind == StepKind::kRestore && c_.node(st.node)->state != NodeState::kPrimary) {
      const ClusterNode* n = c_.node(st.node);
      return Status::Failed(
          fmt::format("{}: ended {} {}: {}", st.text, to_string(n->state), n->error, n->error_detail));
    }
  }
  return Status::Ok();
}

// The walsender takes the new synchronous_standby_names when it handles the reload, and
// pg_stat_replication shows it sync only while it streams and has a flush position from its
// standby; on a loaded machine a walsender may also be between connections (wal_sender_timeout
// is 2 s). So the reload is repeated every second until the state shows, within the timeout.
Status Calibrator::wait_sync_state(PgConnection& admin, const std::string& want) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(o_.harness.ready_timeout_ms);
  auto reload_at = start + std::chrono::seconds(1);
  for (;;) {
    PgReply r = admin.exec("SELECT sync_state FROM pg_stat_replication WHERE application_name = $1", {kStandby});
    if (r.ok && !r.rows.empty() && !r.null_at(0, 0) && r.at(0, 0) == want) return Status::Ok();
    if (interrupted()) return Status::Interrupted("interrupted; every server stopped");
    const auto now = Clock::now();
    if (now > deadline) {
      const std::string seen = r.ok && !r.rows.empty() && !r.null_at(0, 0) ? r.at(0, 0) : "no walsender";
      return Status::Timeout(fmt::format("{} never became {} (last seen: {})", kStandby, want, seen));
    }
    if (now > reload_at) {
      if (Status s = exec(admin, "SELECT pg_reload_conf()"); !s.ok()) return s;
      reload_at = now + std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// An autocommit INSERT at each level, with s1 as the one synchronous standby
// (synchronous_standby_names = 's1' through ALTER SYSTEM, reset afterwards).
Status Calibrator::measure_commit_levels() {
  auto admin = connect(primary_);
  if (!admin.ok()) return admin.status();
  if (Status s = exec(**admin, "ALTER SYSTEM SET synchronous_standby_names = 's1'"); !s.ok()) return s;
  if (Status s = exec(**admin, "SELECT pg_reload_conf()"); !s.ok()) return s;
  if (Status s = wait_sync_state(**admin, "sync"); !s.ok()) return s;
  auto conn = connect(primary_);
  if (!conn.ok()) return conn.status();
  for (const std::string& level : calibrated_commit_levels()) {
    progress("commit at synchronous_commit = " + level);
    // The level is one of the five fixed names above, never user text.
    if (Status s = exec(**conn, "SET synchronous_commit = " + level); !s.ok()) return s;
    for (int64_t i = 0; i < o_.samples; ++i) {
      if (interrupted()) return Status::Interrupted("interrupted; every server stopped");
      const auto t0 = Clock::now();
      Status s = exec(**conn, "INSERT INTO customers (firstname, lastname) VALUES ($1, 'Commit')",
                      {fmt::format("{}-{}", level, i)});
      if (!s.ok()) return s;
      commits_[level].push_back(since_us(t0));
    }
  }
  if (Status s = exec(**admin, "ALTER SYSTEM RESET synchronous_standby_names"); !s.ok()) return s;
  if (Status s = exec(**admin, "SELECT pg_reload_conf()"); !s.ok()) return s;
  return wait_sync_state(**admin, "async");
}

// From the moment the client has a local commit's acknowledgement until the standby's
// pg_last_wal_receive_lsn() reaches the position right after the INSERT's WAL record (its
// commit record follows in the same flush, which the walsender sends whole), polled on a
// connection to the standby: an upper bound, by about one poll's round trip.
Status Calibrator::measure_wal_shipping() {
  progress("WAL shipping primary -> s1");
  auto conn = connect(primary_);
  if (!conn.ok()) return conn.status();
  auto standby = connect(kStandby);
  if (!standby.ok()) return standby.status();
  if (Status s = exec(**conn, "SET synchronous_commit = local"); !s.ok()) return s;
  for (int64_t i = 0; i < o_.samples; ++i) {
    PgReply ins = (*conn)->exec(
        "INSERT INTO customers (firstname, lastname) VALUES ($1, 'Shipping') RETURNING pg_current_wal_insert_lsn()::text",
        {fmt::format("ship-{}", i)}, o_.harness.statement_timeout_ms);
    const auto acked = Clock::now();
    if (!ins.ok) return Status::Failed(fmt::format("WAL shipping insert: {}", ins.error));
    const auto deadline = acked + std::chrono::milliseconds(o_.harness.catchup_timeout_ms);
    for (;;) {
      PgReply r = (*standby)->exec("SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn", {ins.at(0, 0)}, 2000);
      if (!r.ok) return Status::Failed(fmt::format("WAL shipping poll on {}: {}", kStandby, r.error));
      if (r.at(0, 0) == "t") break;
      if (interrupted()) return Status::Interrupted("interrupted; every server stopped");
      if (Clock::now() > deadline) return Status::Timeout(fmt::format("{} never received {}", kStandby, ins.at(0, 0)));
    }
    shipping_.push_back(since_us(acked));
  }
  return Status::Ok();
}

// Each promotion needs a standby of its own: p<i> is cloned from the current primary (not
// timed), then promoted; the old primary is crashed so that only one primary runs.
Status Calibrator::measure_promotions() {
  progress("promote");
  for (int64_t i = 0; i < o_.samples; ++i) {
    const std::string name = fmt::format("p{}", i);
    if (Status s = c_.add_standby(NodeSpec{name, NodeRole::kStandby, false, {}, std::nullopt}, primary_); !s.ok()) return s;
    if (Status s = c_.wait_streaming(name, o_.harness.ready_timeout_ms); !s.ok()) return s;
    if (Status s = timed(make_step(StepKind::kPromote, name)); !s.ok()) return s;
    if (Status s = c_.crash(primary_); !s.ok()) return s;
    primary_ = name;
  }
  return Status::Ok();
}

Result<std::string> Calibrator::server_version() {
  auto conn = connect(primary_);
  if (!conn.ok()) return conn.status();
  PgReply r = (*conn)->exec("SHOW server_version");
  if (!r.ok) return r.status();
  return r.at(0, 0);
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A write step's handler records a failed transaction as data, not as an error: look at them.
Status check_transactions(const History& h) {
  for (const TxRecord& tx : h.transactions) {
    if (tx.outcomes.empty() || tx.outcomes[0] != TxOutcome::kAcknowledged)
      return Status::Failed(fmt::format("transaction {} was not acknowledged: {}", tx.label, tx.detail));
  }
  return Status::Ok();
}

Result<MeasuredTiming> measure(const CalibrationOptions& o, Cluster& cluster, Runner& runner) {
  Calibrator cal(o, cluster, runner);
  MeasuredTiming p;
  auto version = cal.server_version();
  if (!version.ok()) return version.status();
  for (int64_t i = 0; i < o.samples; ++i) {
    cal.progress(fmt::format("steps, round {}/{}", i + 1, o.samples));
    if (Status s = cal.measure_steps(i); !s.ok()) return s;
  }
  if (Status s = cal.measure_commit_levels(); !s.ok()) return s;
  if (Status s = cal.measure_wal_shipping(); !s.ok()) return s;
  if (Status s = cal.measure_promotions(); !s.ok()) return s;
  if (Status s = check_transactions(runner.take()); !s.ok()) return s;
  p.created = utc_now();
  p.command = o.command;
  p.machine = this_machine();
  p.machine.postgresql = *version;
  p.samples = o.samples;
  cal.fill(&p);
  return p;
}

}  // namespace

MachineInfo this_machine() {
  MachineInfo m;
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      m.cpu = line.substr(line.find(':') + 1);
      m.cpu.erase(0, m.cpu.find_first_not_of(' '));
      break;
    }
  }
  if (m.cpu.empty()) m.cpu = "unknown CPU";
  m.cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  return m;
}

Result<MeasuredTiming> calibrate(const CalibrationOptions& options) {
  REPLSIM_ASSERT(options.samples >= 1 && options.samples <= 1000, "calibrate takes 1..1000 samples");
  InterruptGuard guard;
  reset_interrupt();
  Scenario sc = calibration_scenario();
  if (Status s = resolve_scenario(sc); !s.ok()) return s;
  auto cluster = Cluster::create(options.harness, sc.cluster);
  if (!cluster.ok()) return cluster.status();
  Runner runner(sc, options.harness, **cluster);
  if (options.progress) options.progress("setup: primary + s1, archive on");
  if (Status s = runner.setup(); !s.ok()) {
    if (interrupted()) return Status::Interrupted(fmt::format("interrupted during setup: {}", s.message()));
    return s;
  }
  auto profile = measure(options, **cluster, runner);
  if (!profile.ok() && interrupted()) return Status::Interrupted("interrupted; every server stopped");
  return profile;  // `cluster` goes out of scope: every server stops, the directory goes.
}

}  // namespace replsim::harness
