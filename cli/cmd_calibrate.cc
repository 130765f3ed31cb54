// `replsim calibrate [--samples N] [--out FILE] [--json] [--keep] [--pg-bindir DIR]`: measures
// this machine's step latencies, WAL shipping and commit round trips on a real PostgreSQL 15
// cluster (harness/calibration.h), prints them as a table (or the profile as JSON with --json),
// and writes the timing profile to --out through a temporary file renamed into place.
// docs/timing.md. Exit 0 ok, 3 could not run: the cluster could not be built or a measurement
// failed (as `replsim compare`), 2 bad input (nothing is run then); an interrupted run exits 128 + the
// signal after cleaning up.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/pg_bindir_option.h"
#include "harness/calibration.h"
#include "harness/interrupt.h"
#include "vocab/timing_profile.h"

namespace replsim::cli {
namespace {

struct CalibrateOptions {
  int64_t samples = 20;
  std::string out;
  bool json = false;
  bool keep = false;
  std::string pg_bindir;
  std::string merge;  // --merge FILE: the profile to merge the measurement with.
};

std::string row(const std::string& name, const LatencySummary& s) {
  const auto ms = [](int64_t us) { return fmt::format("{:.3f}", static_cast<double>(us) / 1000.0); };
  return fmt::format("  {:<28} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}\n", name, s.count, ms(s.min_us), ms(s.p50_us),
                     ms(s.p90_us), ms(s.p99_us), ms(s.max_us));
}

std::string format_table(const MeasuredTiming& p) {
  std::string t = fmt::format("Timing profile, {} on {} ({} cores), PostgreSQL {}\n\n", p.created, p.machine.cpu,
                              p.machine.cores, p.machine.postgresql);
  t += fmt::format("  {:<28} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "measured (ms)", "n", "min", "p50", "p90", "p99",
                   "max");
  for (const std::string& name : calibrated_steps())
    if (auto it = p.steps.find(name); it != p.steps.end()) t += row("step " + name, it->second);
  t += row("WAL shipping primary -> s1", p.wal_shipping);
  for (const std::string& level : calibrated_commit_levels())
    if (auto it = p.commit.find(level); it != p.commit.end()) t += row("commit " + level, it->second);
  return t;
}

std::string command_line(const CalibrateOptions& o) {
  std::string s = fmt::format("replsim calibrate --samples {}", o.samples);
  if (!o.out.empty()) s += " --out " + std::filesystem::path(o.out).filename().string();
  if (!o.merge.empty()) s += " --merge " + std::filesystem::path(o.merge).filename().string();
  return s;
}

int run_calibrate(const CalibrateOptions& o) {
  // A bad --out fails before the minute of measuring, not after it.
  if (!o.out.empty()) {
    const std::filesystem::path parent = std::filesystem::absolute(o.out).parent_path();
    std::error_code ec;
    if (!std::filesystem::is_directory(parent, ec) || std::filesystem::is_directory(o.out, ec)) {
      std::fprintf(stderr, "replsim calibrate: cannot write %s: no such directory, or it is one\n", o.out.c_str());
      return kExitBadInput;
    }
  }
  std::optional<MeasuredTiming> older;
  if (!o.merge.empty()) {
    auto read = read_timing_profile(o.merge);
    if (!read.ok()) {
      std::fprintf(stderr, "replsim calibrate: --merge: %s\n", read.status().message().c_str());
      return kExitBadInput;
    }
    older = std::move(read.value());
  }
  if (!pg_binaries_present(o.pg_bindir, "calibrate")) return kExitCouldNotRun;
  harness::CalibrationOptions copt;
  copt.samples = o.samples;
  copt.command = command_line(o);
  copt.harness.keep = o.keep;
  copt.harness.bindir = o.pg_bindir;
  copt.progress = [](const std::string& line) { std::fprintf(stderr, "replsim calibrate: %s\n", line.c_str()); };
  const auto t0 = std::chrono::steady_clock::now();
  auto profile = harness::calibrate(copt);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!profile.ok()) {
    std::fprintf(stderr, "replsim calibrate: %s\n", profile.status().message().c_str());
    const int signal = harness::interrupt_signal();
    return signal != 0 ? 128 + signal : kExitCouldNotRun;
  }
  std::fprintf(stderr, "replsim calibrate: measured in %.1f s\n", seconds);
  if (older) profile = merge_timing_profiles(*profile, *older);
  const std::string text = o.json ? timing_profile_json(*profile) : format_table(*profile);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  if (!o.out.empty()) {
    if (Status s = write_timing_profile(o.out, *profile); !s.ok()) {
      std::fprintf(stderr, "replsim calibrate: %s\n", s.message().c_str());
      return kExitCouldNotRun;
    }
    std::fprintf(stderr, "replsim calibrate: wrote %s\n", o.out.c_str());
  }
  return kExitOk;
}

void add_calibrate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Measure this machine's step, WAL shipping and commit latencies on a real cluster; write a timing profile");
  cmd->add_option("--samples", o->samples, "Samples per measurement (default 20; about 30 s in all)")
      ->check(CLI::Range(1, 1000));
  file_option(cmd->add_option("--out", o->out, "Write the timing profile (JSON, docs/timing.md) to FILE"));
  file_option(cmd->add_option(
      "--merge", o->merge,
      "Merge the measurement with the profile in FILE (each step's min and max over both; docs/timing.md)"));
  cmd->add_flag("--json", o->json, "Print the profile as one JSON document instead of a table");
  cmd->add_flag("--keep", o->keep, "Keep the cluster's directory (data, logs, archive)");
  add_pg_bindir_option(cmd, &o->pg_bindir);
  add_exit_codes(cmd, ExitCodes()
                          .ok("measured (and written to --out)")
                          .could_not_run("PostgreSQL missing or failing, a measurement failed, --out not written")
                          .interruptible());
  cmd->callback([o, &exit_code] { exit_code = run_calibrate(*o); });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(70, add_calibrate_command);

}  // namespace replsim::cli
