// `replsim compare [--quick] [--json] [--html FILE] [--clients N] [--duration S]
//                  [--latencies 0,1,5,20] [--levels ...] [--setups async,first1,any1]`:
// measures commit latency, throughput and partition stalls on a real cluster for each
// synchronous_commit level x standby setup x added latency, and prints each measured row
// beside the simulator's predicted loss window (sim/loss_window.h). The servers run with
// fsync = on (a commit's latency includes the disk's flush; the report names the disk) unless
// --fsync off is asked for, which the report says. docs/compare.md.
// Exit 0 ok, 2 bad input, 3 could not run: the cluster could not be built or a measurement
// failed; an interrupted run exits 128 + the signal after cleaning up.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/compare_report.h"
#include "cli/pg_bindir_option.h"
#include "harness/calibration.h"
#include "harness/disk_info.h"
#include "harness/interrupt.h"
#include "harness/latency_bench.h"
#include "sim/loss_window.h"

namespace replsim::cli {
namespace {

struct CompareOptions {
  bool quick = false;
  bool json = false;
  std::string html;
  int clients = 0;        // 0 = the mode's default.
  double duration_s = 0;  // 0 = the mode's default.
  std::string latencies, levels, setups;
  double partition_s = 0;  // 0 = the mode's default.
  bool keep = false;
  std::string pg_bindir;
  std::string fsync = "on";  // --fsync on|off.
};

// One configuration to measure.
struct Config {
  sim::StandbySetup setup;
  SyncCommit level;
  int64_t latency_ms;
  int64_t partition_ms;            // 0 = no partition phase.
  int64_t predicted_partition_ms;  // The window the prediction assumes (measured or not).
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    out.push_back(item);
  }
  return out;
}

Result<std::vector<int64_t>> parse_latencies(const std::string& text) {
  std::vector<int64_t> out;
  for (const std::string& item : split(text)) {
    if (item.empty() || item.size() > 4 || item.find_first_not_of("0123456789") != std::string::npos)
      return Status::InvalidInput(fmt::format("bad latency '{}': whole milliseconds, 0 to 1000", item));
    const int64_t v = std::stoll(item);
    if (v > 1000) return Status::InvalidInput(fmt::format("latency {} ms is over 1000", v));
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  if (out.empty()) return Status::InvalidInput("--latencies names no latency");
  return out;
}

template <typename T, typename Parse>
Result<std::vector<T>> parse_list(const std::string& text, const char* what, Parse parse) {
  std::vector<T> out;
  for (const std::string& item : split(text)) {
    auto v = parse(item);
    if (!v) return Status::InvalidInput(fmt::format("unknown {} '{}'", what, item));
    if (std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(*v);
  }
  if (out.empty()) return Status::InvalidInput(fmt::format("no {} given", what));
  return out;
}

bool waits(sim::StandbySetup setup, SyncCommit level) {
  return setup != sim::StandbySetup::kAsync && level != SyncCommit::kOff && level != SyncCommit::kLocal;
}

// The configurations in run order. --quick keeps every level for the async setup but only the
// levels that tell the sync setups apart, and partitions once per setup x level (latency barely
// changes a stall of seconds) to stay under a minute.
Result<std::vector<Config>> plan(const CompareOptions& o, int64_t partition_ms, int64_t wal_sender_timeout_ms) {
  auto latencies = parse_latencies(o.latencies.empty() ? (o.quick ? "0,5" : "0,1,5,20") : o.latencies);
  if (!latencies.ok()) return latencies.status();
  auto setups = parse_list<sim::StandbySetup>(o.setups.empty() ? "async,first1,any1" : o.setups, "setup",
                                              sim::parse_standby_setup);
  if (!setups.ok()) return setups.status();
  const std::string all_levels = "off,local,remote_write,on,remote_apply";
  auto levels = parse_list<SyncCommit>(o.levels.empty() ? all_levels : o.levels, "level", parse_sync_commit);
  if (!levels.ok()) return levels.status();
  std::vector<Config> out;
  for (int64_t latency : *latencies) {
    for (sim::StandbySetup setup : *setups) {
      for (SyncCommit level : *levels) {
        if (o.quick && o.levels.empty() && setup != sim::StandbySetup::kAsync) {
          const bool keep = setup == sim::StandbySetup::kFirst1
                                ? (level == SyncCommit::kLocal || level == SyncCommit::kOn ||
                                   level == SyncCommit::kRemoteApply)
                                : level == SyncCommit::kOn;
          if (!keep) continue;
        }
        int64_t window = partition_ms;
        // FIRST 1 hands over to s2 only after wal_sender_timeout: give it time to show that.
        if (setup == sim::StandbySetup::kFirst1 && waits(setup, level))
          window = std::max(window, wal_sender_timeout_ms + 600);
        const bool measured = !(o.quick && latency != latencies->front());
        out.push_back(Config{setup, level, latency, measured ? window : 0, window});
      }
    }
  }
  return out;
}

std::string machine_description() {
  const MachineInfo m = harness::this_machine();
  return fmt::format("{}, {} cores", m.cpu, m.cores);
}

std::string command_line(const CompareOptions& o, int clients, double duration_s, int64_t partition_ms) {
  std::string s = "replsim compare";
  if (o.quick) s += " --quick";
  s += fmt::format(" --clients {} --duration {:g} --partition {:g}", clients, duration_s,
                   static_cast<double>(partition_ms) / 1000.0);
  if (!o.latencies.empty()) s += " --latencies " + o.latencies;
  if (!o.levels.empty()) s += " --levels " + o.levels;
  if (!o.setups.empty()) s += " --setups " + o.setups;
  if (o.fsync != "on") s += " --fsync " + o.fsync;
  return s;
}

// Measures one configuration on the bench and predicts its loss window at the measured rate.
// Progress goes to stderr on the line the caller began.
Result<CompareRow> measure_row(harness::LatencyBench& bench, const Config& c, int clients, int64_t duration_ms,
                               int64_t wal_sender_timeout_ms) {
  harness::BenchConfig bc;
  bc.level = c.level;
  bc.standby_names = sim::standby_names_of(c.setup);
  bc.one_way_latency_us = c.latency_ms * 1000;
  bc.clients = clients;
  bc.duration_ms = duration_ms;
  bc.partition_window_ms = c.partition_ms;
  // The sync standby is s1; with ANY 1, s2 would acknowledge alone, so both go.
  bc.partition_nodes = c.setup == sim::StandbySetup::kAny1 ? std::vector<std::string>{"s1", "s2"}
                                                           : std::vector<std::string>{"s1"};
  std::fprintf(stderr, "%-6s %-12s latency %3lld ms%s ... ", sim::to_string(c.setup), to_string(c.level),
               static_cast<long long>(c.latency_ms),
               c.partition_ms > 0 ? fmt::format(", partition {} ms", c.partition_ms).c_str() : "");
  std::fflush(stderr);
  auto m = bench.measure(bc);
  if (!m.ok()) return m.status();
  std::fprintf(stderr, "%.0f tps, p50 %.2f ms%s\n", m->tps, m->commit_p50_ms,
               m->partitioned ? fmt::format(", stall {:.0f} ms", m->stall_ms).c_str() : "");
  sim::LossWindowInput in;
  in.level = c.level;
  in.setup = c.setup;
  in.one_way_latency_us = c.latency_ms * 1000;
  in.tps = m->tps;
  in.wal_sender_timeout_us = wal_sender_timeout_ms * 1000;
  in.partition_window_us = c.predicted_partition_ms * 1000;
  return CompareRow{sim::to_string(c.setup),     bc.standby_names, to_string(c.level), c.latency_ms, *m,
                    sim::predict_loss_window(in)};
}

// The disk under the data directories and the fsync the primary runs with, for the report.
Status describe_storage(harness::LatencyBench& bench, CompareReport* report) {
  report->disk = harness::describe_disk(bench.run_dir());
  auto fsync = bench.primary_setting("fsync");
  if (!fsync.ok()) return fsync.status();
  report->fsync = *fsync;
  std::fprintf(stderr, "replsim compare: %s\n", storage_sentence(*report).c_str());
  return Status::Ok();
}

// Prints the table (or JSON) and writes the page to `html_out` if it is open.
int print_report(const CompareOptions& o, const CompareReport& report, std::ofstream& html_out) {
  const std::string text = o.json ? to_json(report).dump(2) + "\n" : format_table(report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (html_out.is_open()) {
    html_out << render_html(report);
    html_out.close();
    if (!html_out) {
      std::fprintf(stderr, "replsim compare: writing %s failed\n", o.html.c_str());
      return kExitCouldNotRun;
    }
    std::fprintf(stderr, "replsim compare: wrote %s\n", o.html.c_str());
  }
  return kExitOk;
}

int run_compare(const CompareOptions& o) {
  constexpr int64_t kWalSenderTimeoutMs = 2000;  // As the harness configures every primary.
  const int clients = o.clients > 0 ? o.clients : (o.quick ? 2 : 4);
  const double duration_s = o.duration_s > 0 ? o.duration_s : (o.quick ? 1.0 : 5.0);
  const int64_t partition_ms = static_cast<int64_t>((o.partition_s > 0 ? o.partition_s : (o.quick ? 1.2 : 3.0)) * 1000);
  if (clients > 64 || duration_s > 600 || partition_ms > 60000) {
    std::fprintf(stderr, "replsim compare: --clients is at most 64, --duration 600 s, --partition 60 s\n");
    return kExitBadInput;
  }
  auto configs = plan(o, partition_ms, kWalSenderTimeoutMs);
  if (!configs.ok()) {
    std::fprintf(stderr, "replsim compare: %s\n", configs.status().message().c_str());
    return kExitBadInput;
  }
  std::ofstream html_out;
  if (!o.html.empty()) {
    html_out.open(o.html, std::ios::trunc);  // Opened now so a bad path fails before the long run.
    if (!html_out) {
      std::fprintf(stderr, "replsim compare: cannot write %s\n", o.html.c_str());
      return kExitBadInput;
    }
  }

  if (!pg_binaries_present(o.pg_bindir, "compare")) return kExitCouldNotRun;
  harness::InterruptGuard guard;
  harness::reset_interrupt();
  harness::HarnessOptions hopt;
  hopt.keep = o.keep;
  hopt.bindir = o.pg_bindir;
  hopt.fsync = o.fsync == "on";
  hopt.progress = [](const std::string& line) { std::fprintf(stderr, "  %s\n", line.c_str()); };
  std::fprintf(stderr, "replsim compare: building primary + s1 + s2 ...\n");
  auto bench = harness::LatencyBench::create(hopt);
  if (!bench.ok()) {
    std::fprintf(stderr, "replsim compare: could not build the cluster: %s\n", bench.status().message().c_str());
    const int signal = harness::interrupt_signal();
    return signal != 0 ? 128 + signal : kExitCouldNotRun;
  }

  CompareReport report;
  report.command = command_line(o, clients, duration_s, partition_ms);
  report.machine = machine_description();
  if (Status s = describe_storage(**bench, &report); !s.ok()) {
    std::fprintf(stderr, "replsim compare: %s\n", s.message().c_str());
    return kExitCouldNotRun;
  }
  report.clients = clients;
  report.duration_ms = static_cast<int64_t>(duration_s * 1000);
  const size_t n = configs->size();
  for (size_t i = 0; i < n; ++i) {
    std::fprintf(stderr, "[%zu/%zu] ", i + 1, n);
    auto row = measure_row(**bench, (*configs)[i], clients, report.duration_ms, kWalSenderTimeoutMs);
    if (!row.ok()) {
      std::fprintf(stderr, "failed\nreplsim compare: measurement failed: %s\n", row.status().message().c_str());
      const int signal = harness::interrupt_signal();
      return signal != 0 ? 128 + signal : kExitCouldNotRun;
    }
    report.rows.push_back(std::move(row).value());
  }
  bench->reset();  // Stops the servers and removes the run directory before printing.
  return print_report(o, report, html_out);
}

void add_fsync_option(CLI::App* cmd, std::string* fsync) {
  cmd->add_option("--fsync", *fsync,
                  "fsync of every server: on (default; a commit waits for the disk's flush, as in production) or off "
                  "(faster commits that an operating-system crash could lose; the report says fsync = off)")
      ->check(CLI::IsMember({"on", "off"}).description(""))
      ->type_name("on|off");
}

void add_compare_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Measure sync vs async commit latency on a real cluster beside the predicted loss window");
  cmd->add_flag("--quick", o->quick, "Under a minute: latencies 0,5; 1 s each; 2 clients; fewer sync levels");
  cmd->add_flag("--json", o->json, "Print the rows as JSON instead of a table");
  file_option(cmd->add_option("--html", o->html, "Write a self-contained HTML report with SVG charts to FILE"));
  cmd->add_option("--clients", o->clients, "Concurrent clients (default 4; 2 with --quick)")->check(CLI::Range(1, 64));
  cmd->add_option("--duration", o->duration_s, "Seconds of steady load per configuration (default 5; 1 with --quick)")
      ->check(CLI::Range(0.1, 600.0));
  cmd->add_option("--latencies", o->latencies, "Added one-way latencies in ms (default 0,1,5,20; 0,5 with --quick)")
      ->type_name("MS,...");
  cmd->add_option("--levels", o->levels, "synchronous_commit levels (default off,local,remote_write,on,remote_apply)")
      ->type_name("LEVEL,...");
  cmd->add_option("--setups", o->setups, "Standby setups: async, first1 (FIRST 1 (s1, s2)), any1 (ANY 1 (s1, s2))")
      ->type_name("SETUP,...");
  cmd->add_option("--partition", o->partition_s,
                  "Seconds the sync standby is partitioned (default 3; 1.2 with --quick)")
      ->check(CLI::Range(0.1, 60.0));
  cmd->add_flag("--keep", o->keep, "Keep the run directory (data directories, server logs)");
  add_pg_bindir_option(cmd, &o->pg_bindir);
  add_fsync_option(cmd, &o->fsync);
  add_exit_codes(cmd, ExitCodes()
                          .ok("measured")
                          .could_not_run("PostgreSQL missing or failing, a measurement failed, --html not written")
                          .interruptible());
  cmd->callback([o, &exit_code] { exit_code = run_compare(*o); });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(60, add_compare_command);

}  // namespace replsim::cli
