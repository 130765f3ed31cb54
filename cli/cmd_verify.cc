// `replsim verify FILE... [--seed N] [--json] [--store DIR] [--keep]`: runs each scenario on
// the simulator and on a fresh real PostgreSQL cluster, prints both timelines side by side
// with the verdict, the history checks and the expectations, and records the run in the
// run store. Exit 0 only if every scenario agrees, every history check passes and no
// expectation failed; 1 otherwise; 2 on bad input (nothing is run then); 3 when PostgreSQL
// could not run and no check failed; 128 + the signal when interrupted.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/axis_option.h"
#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/html_index.h"
#include "cli/html_timeline.h"
#include "cli/pg_bindir_option.h"
#include "cli/timing_option.h"
#include "harness/interrupt.h"
#include "harness/scenario_runner.h"
#include "sim/simulator.h"
#include "verifier/report_text.h"
#include "verifier/run_store.h"
#include "verifier/verification.h"
#include "vocab/scenario_parser.h"

namespace replsim::cli {
namespace {

struct VerifyOptions {
  std::vector<std::string> files;
  uint64_t seed = 1;
  bool json = false;
  std::string store;
  bool keep = false;
  bool no_store = false;
  std::string html;
  std::string timing;
  std::string pg_bindir;
};

void progress(const std::string& line) { std::fprintf(stderr, "replsim verify: %s\n", line.c_str()); }

struct Outcome {
  Verification verification;
  std::unique_ptr<Prediction> prediction;
  std::unique_ptr<History> history;
  std::string run_id;
  bool interrupted = false;
  bool html_failed = false;
};

Outcome verify_one(const Scenario& scenario, const VerifyOptions& o, const std::string& counter) {
  Outcome out;
  progress(fmt::format("{} {}: simulating (seed {})", counter, scenario.name, o.seed));
  auto prediction = sim::simulate(scenario, sim::SimOptions{.seed = o.seed, .timing = selected_timing()});
  if (!prediction.ok()) {
    out.verification = verification_error(scenario, o.seed, "simulator: " + prediction.status().message());
    return out;
  }
  out.prediction = std::make_unique<Prediction>(std::move(prediction).value());
  progress(fmt::format("{} {}: running on a fresh PostgreSQL cluster", counter, scenario.name));
  harness::HarnessOptions harness_options;
  harness_options.keep = o.keep;
  harness_options.bindir = o.pg_bindir;
  harness_options.progress = [&](const std::string& line) { progress(fmt::format("{}   {}", counter, line)); };
  auto history = harness::run_scenario(scenario, harness_options);
  if (!history.ok()) {
    // However the harness unwound (a wait cut short, a statement cancelled), a signal means interrupted.
    out.interrupted = history.status().code() == Status::Code::kInterrupted || harness::interrupt_signal() != 0;
    out.verification = verification_error(scenario, o.seed, "harness: " + history.status().message());
    return out;
  }
  out.history = std::make_unique<History>(std::move(history).value());
  out.verification = verify_runs(scenario, *out.prediction, *out.history);
  return out;
}

// Records the run; a store that cannot be written is reported, never fatal to the verdict.
void record(Outcome& out, const Scenario& scenario, const VerifyOptions& o) {
  if (o.no_store) return;
  const std::string dir = o.store.empty() ? RunStore::default_dir() : o.store;
  auto store = RunStore::open(dir);
  if (!store.ok()) {
    progress("not recorded: " + store.status().message());
    return;
  }
  RunRecord r;
  r.summary.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  r.summary.scenario = scenario.name;
  r.summary.file = scenario.file;
  r.summary.seed = o.seed;
  // A run stopped by SIGINT/SIGTERM is recorded as interrupted, not as an error.
  r.summary.verdict = out.interrupted ? RunSummary::Verdict::kInterrupted : run_verdict(out.verification.verdict);
  r.summary.passed = out.verification.passed();
  r.scenario_text = scenario.source;
  if (out.prediction) r.prediction_json = to_json(*out.prediction).dump();
  if (out.history) r.history_json = to_json(*out.history).dump();
  r.verification_json = to_json(out.verification).dump();
  auto id = (*store)->add(r);
  if (!id.ok()) {
    progress("not recorded: " + id.status().message());
    return;
  }
  out.run_id = *id;
  progress(fmt::format("recorded as run {} in {}", *id, dir));
}

// The predicted and observed timelines side by side; a page that cannot be written is
// reported and fails the run, since the user asked for it. With --html DIR the page is
// listed in the directory's index with its verdict (html_index.h).
void write_html(Outcome& out, const Scenario& scenario, HtmlPages& pages) {
  const std::string path = pages.path_for(scenario.name, scenario.file);
  if (Status s = write_timeline_html(path, scenario, out.prediction.get(), out.history.get(), selected_axis());
      !s.ok()) {
    progress("timeline not written: " + s.message());
    out.html_failed = true;
    return;
  }
  progress("timeline written to " + path);
  const Verification& v = out.verification;
  std::string detail = out.interrupted ? "interrupted" : v.error;
  if (detail.empty() && v.verdict == Verification::Verdict::kAgree && !v.passed())
    detail = "a history check or an expectation failed";
  pages.add(IndexEntry{scenario.name, scenario.file, path, to_string(v.verdict), v.passed(), detail});
}

// Writes DIR/index.html after the runs (--html DIR only); false if it could not.
bool finish_html(const HtmlPages& pages, size_t count) {
  if (!pages.directory()) return true;
  if (Status s = pages.finish(fmt::format("replsim verify: {} scenario{}", count, count == 1 ? "" : "s")); !s.ok()) {
    progress("index not written: " + s.message());
    return false;
  }
  progress("index written to " + pages.index_path());
  return true;
}

int verify(const VerifyOptions& o) {
  std::vector<Scenario> scenarios;
  bool bad = false;
  for (const auto& file : o.files) {
    auto s = read_scenario_file(file);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().message().c_str());
      bad = true;
      continue;
    }
    scenarios.push_back(std::move(s).value());
  }
  if (bad) return kExitBadInput;
  if (!pg_binaries_present(o.pg_bindir, "verify")) return kExitCouldNotRun;
  HtmlPages pages(o.html, scenarios.size());
  if (Status s = pages.prepare(); !o.html.empty() && !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return kExitBadInput;
  }
  bool all_passed = true;
  bool check_failed = false, could_not_run = false, interrupted = false;
  nlohmann::json report = {{"schema", "replsim.verify_report/1"}, {"runs", nlohmann::json::array()}};
  for (size_t i = 0; i < scenarios.size(); ++i) {
    const std::string counter = fmt::format("[{}/{}]", i + 1, scenarios.size());
    Outcome out = verify_one(scenarios[i], o, counter);
    record(out, scenarios[i], o);
    if (!o.html.empty()) write_html(out, scenarios[i], pages);
    const Verification& v = out.verification;
    all_passed = all_passed && v.passed() && !out.html_failed;
    if (v.verdict == Verification::Verdict::kError) could_not_run = true;
    else if (!v.passed() || out.html_failed) check_failed = true;
    interrupted = interrupted || out.interrupted;
    progress(fmt::format("{} {}: {} ({})", counter, scenarios[i].name,
                         out.interrupted ? "interrupted" : to_string(v.verdict), v.passed() ? "pass" : "FAIL"));
    if (o.json) {
      report["runs"].push_back({{"run_id", out.run_id},
                                {"verification", to_json(v)},
                                {"prediction", out.prediction ? to_json(*out.prediction) : nlohmann::json()},
                                {"history", out.history ? to_json(*out.history) : nlohmann::json()}});
    } else {
      if (i > 0) std::fputs("\n", stdout);
      const std::string text = render_report(v, out.prediction.get(), out.history.get());
      std::fwrite(text.data(), 1, text.size(), stdout);
      if (!out.run_id.empty())
        std::fprintf(stdout, "  run: %s (replsim runs show %s)\n", out.run_id.c_str(), out.run_id.c_str());
      std::fflush(stdout);
    }
    if (out.interrupted) break;
  }
  if (!o.html.empty() && !finish_html(pages, scenarios.size())) {
    check_failed = true;
    all_passed = false;
  }
  if (o.json) {
    report["passed"] = all_passed;
    const std::string text = report.dump(2) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);
  // Interrupted: 128 + the signal. Else a failed check outranks a run that could not run.
  const int signal = harness::interrupt_signal();
  if (interrupted && signal != 0) return 128 + signal;
  if (check_failed) return kExitCheckFailed;
  return could_not_run ? kExitCouldNotRun : kExitOk;
}

void add_verify_exit_codes(CLI::App* cmd) {
  add_exit_codes(cmd, ExitCodes()
                          .ok("every scenario agreed, every history check passed, every expectation held")
                          .check_failed("a disagreement, a failed history check or expectation, a page not written")
                          .could_not_run("PostgreSQL missing or failing (and no check failed)")
                          .interruptible());
}

void add_verify_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Run scenarios on the simulator and on real PostgreSQL 15, compare, and check the histories");
  cmd->add_option("files", options->files, "Scenario files (YAML; see docs/scenario.md)")
      ->required()
      ->type_name("FILE");
  whole_number_option(cmd->add_option("--seed", options->seed, "Simulation seed"));
  cmd->add_flag("--json", options->json, "Print a machine-readable report (verdicts, predictions, histories) as JSON");
  dir_option(cmd->add_option(
      "--store", options->store,
      "Run store directory (default: $REPLSIM_HOME/runs, else $XDG_DATA_HOME/replsim/runs, else ~/.local/share/replsim/runs)"));
  cmd->add_flag("--keep", options->keep, "Keep each real cluster's directory (data, logs, archive) for inspection");
  cmd->add_flag("--no-store", options->no_store, "Do not record the runs");
  cmd->add_option(
         "--html", options->html,
         "Write a self-contained page with the predicted and observed timelines to FILE; a directory (a trailing /, an "
         "existing directory, or a path without .html for several scenarios) gets one page per scenario and index.html")
      ->type_name("FILE|DIR");
  add_timing_option(cmd, &options->timing);
  add_axis_option(cmd);
  add_pg_bindir_option(cmd, &options->pg_bindir);
  add_verify_exit_codes(cmd);
  cmd->callback(
      [options, &exit_code] { exit_code = select_timing(options->timing) ? verify(*options) : kExitBadInput; });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(20, add_verify_command);

}  // namespace replsim::cli
