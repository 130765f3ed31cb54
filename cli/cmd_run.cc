// `replsim run FILE... [--seed N] [--json] [--quiet] [--html FILE] [--real [--keep]]`:
// predicts each scenario with the simulator (or, with --real, runs it on a fresh real
// PostgreSQL 15 cluster), prints the timeline in one shape for both, and checks the
// scenario's expectations. Exit 0 when every expectation held, 1 when one did not, 2 on
// bad input, 3 when the real cluster could not run it; an interrupted real run exits 128 + the
// signal after cleaning up.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/axis_option.h"
#include "cli/command.h"
#include "cli/html_timeline.h"
#include "cli/pg_bindir_option.h"
#include "cli/report_printer.h"
#include "cli/timing_option.h"
#include "harness/interrupt.h"
#include "harness/scenario_runner.h"
#include "sim/simulator.h"
#include "verifier/expectations.h"
#include "vocab/scenario_parser.h"

namespace replsim::cli {
namespace {

struct RunOptions {
  std::vector<std::string> files;
  uint64_t seed = 1;
  bool json = false;
  bool quiet = false;
  bool real = false;
  bool keep = false;
  std::string pg_bindir;
  std::string html;
  std::string timing;
};

// A run that could not produce a RunResult: bad input (2) or an interrupted harness (128+sig).
struct RunFailure {
  int exit_code = kExitOk;
};

Result<RunResult> produce(const Scenario& scenario, const RunOptions& o, RunFailure* failure) {
  if (!o.real) {
    auto prediction = sim::simulate(scenario, sim::SimOptions{.seed = o.seed, .timing = selected_timing()});
    if (!prediction.ok()) failure->exit_code = kExitBadInput;
    return prediction;
  }
  if (Status s = harness::validate_for_harness(scenario); !s.ok()) {
    failure->exit_code = kExitBadInput;
    return s;
  }
  harness::HarnessOptions options;
  options.keep = o.keep;
  options.bindir = o.pg_bindir;
  options.progress = [](const std::string& line) { std::fprintf(stderr, "replsim run --real: %s\n", line.c_str()); };
  auto history = harness::run_scenario(scenario, options);
  if (!history.ok()) {
    const int signal = harness::interrupt_signal();
    failure->exit_code = signal != 0 ? 128 + signal : kExitCouldNotRun;
  }
  return history;
}

int run_one(const std::string& file, const RunOptions& o, size_t file_count) {
  auto scenario = parse_scenario_file(file);
  if (!scenario.ok()) {
    std::fprintf(stderr, "%s\n", scenario.status().message().c_str());
    return kExitBadInput;
  }
  RunFailure failure;
  auto result = produce(*scenario, o, &failure);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().message().c_str());
    return failure.exit_code;
  }
  const std::vector<ExpectationResult> verdicts = check_expectations(*scenario, *result);
  const std::string text = o.json ? report_json(*result, verdicts).dump(2) + "\n"
                                  : format_report(*scenario, *result, verdicts, ReportOptions{o.quiet});
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!o.html.empty()) {
    const std::string path = html_path_for(o.html, scenario->name, file_count);
    const RunResult* predicted = o.real ? nullptr : &*result;
    const RunResult* observed = o.real ? &*result : nullptr;
    if (Status s = write_timeline_html(path, *scenario, predicted, observed, selected_axis()); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return kExitBadInput;
    }
    std::fprintf(stderr, "timeline written to %s\n", path.c_str());
  }
  return all_held(verdicts) ? kExitOk : kExitCheckFailed;
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Predict scenarios with the simulator (or observe them on real PostgreSQL with --real) and check their expectations");
  cmd->add_option("files", options->files, "Scenario files (YAML; see docs/scenario.md)")->required();
  cmd->add_option("--seed", options->seed, "Simulation seed (same seed, same output)");
  cmd->add_flag("--json", options->json, "Print the run and verdicts as JSON");
  cmd->add_flag("--quiet", options->quiet, "Print only expectations that did not hold and a summary");
  cmd->add_option("--html", options->html, "Write a self-contained timeline page to FILE (one per scenario)");
  cmd->add_flag("--real", options->real, "Run on a fresh real PostgreSQL 15 cluster instead of the simulator");
  cmd->add_flag("--keep", options->keep, "With --real: keep the cluster's directory (data, logs, archive)");
  add_pg_bindir_option(cmd, &options->pg_bindir, "With --real: ");
  add_timing_option(cmd, &options->timing);
  add_axis_option(cmd);
  cmd->callback([options, &exit_code] {
    if (!select_timing(options->timing)) {
      exit_code = kExitBadInput;
      return;
    }
    int worst = kExitOk;
    for (size_t i = 0; i < options->files.size(); ++i) {
      if (i > 0 && !options->json && !options->quiet) std::fputs("\n", stdout);
      const int rc = run_one(options->files[i], *options, options->files.size());
      worst = std::max(worst, rc);
      if (rc > 128) break;  // Interrupted: stop after cleaning up, as the signal asked.
    }
    std::fflush(stdout);
    exit_code = worst;
  });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(10, add_run_command);

}  // namespace replsim::cli
