// `replsim run FILE... [--seed N] [--json] [--quiet] [--html FILE] [--real [--keep]]`:
// predicts each scenario with the simulator (or, with --real, runs it on a fresh real
// PostgreSQL 15 cluster), prints the timeline in one shape for both, and checks the
// scenario's expectations. Exit 0 when every expectation held, 1 when one did not, 2 on
// bad input, 3 when the real cluster could not run it; an interrupted real run exits 128 + the
// signal after cleaning up.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/axis_option.h"
#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/html_index.h"
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

// The index entry of a run's page: how many expectations held (--html DIR).
IndexEntry index_entry(const Scenario& scenario, const std::string& page, const std::vector<ExpectationResult>& v) {
  size_t failed = 0;
  for (const auto& r : v) failed += r.verdict == ExpectationResult::Verdict::kFailed ? 1 : 0;
  std::string verdict = v.empty()     ? "no expectations"
                        : failed == 0 ? fmt::format("{} expectation{} held", v.size(), v.size() == 1 ? "" : "s")
                                      : fmt::format("{} of {} expectations did not hold", failed, v.size());
  return IndexEntry{scenario.name, scenario.file, page, verdict, failed == 0, ""};
}

// Writes DIR/index.html after the runs (--html DIR only); false if it could not.
bool finish_html(const HtmlPages& pages, size_t count, bool real) {
  if (!pages.directory()) return true;
  const std::string title = fmt::format("replsim run{}: {} scenario{}", real ? " --real" : "", count,
                                        count == 1 ? "" : "s");
  if (Status s = pages.finish(title); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return false;
  }
  std::fprintf(stderr, "index written to %s\n", pages.index_path().c_str());
  return true;
}

// One file's outcome. With --json the report (or, for a file that could not run, the error)
// goes into `json` for the caller to print as one document; else the report is printed here.
struct FileRun {
  int exit_code = kExitOk;
  nlohmann::json json;  // With --json, the report.
  std::string error;    // Why the file could not run ("" if it ran).
};

FileRun failed(const std::string& message, int exit_code) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return FileRun{exit_code, nullptr, message};
}

FileRun run_one(const std::string& file, const RunOptions& o, HtmlPages& pages) {
  auto scenario = read_scenario_file(file);
  if (!scenario.ok()) return failed(scenario.status().message(), kExitBadInput);
  RunFailure failure;
  auto result = produce(*scenario, o, &failure);
  if (!result.ok()) return failed(result.status().message(), failure.exit_code);
  const std::vector<ExpectationResult> verdicts = check_expectations(*scenario, *result);
  FileRun out{all_held(verdicts) ? kExitOk : kExitCheckFailed, nullptr, ""};
  if (o.json) {
    out.json = report_json(*result, verdicts);
  } else {
    const std::string text = format_report(*scenario, *result, verdicts, ReportOptions{o.quiet});
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  if (!o.html.empty()) {
    const std::string path = pages.path_for(scenario->name, file);
    const RunResult* predicted = o.real ? nullptr : &*result;
    const RunResult* observed = o.real ? &*result : nullptr;
    if (Status s = write_timeline_html(path, *scenario, predicted, observed, selected_axis()); !s.ok())
      return failed(s.message(), kExitBadInput);
    std::fprintf(stderr, "timeline written to %s\n", path.c_str());
    pages.add(index_entry(*scenario, path, verdicts));
  }
  return out;
}

// --json prints one document: for one file its report as it always was (or nothing when the
// file could not run: the error is on stderr); for several, docs/scenario.md's wrapper
// {"schema": "replsim.run_report/1", "runs": [{"file", "exit_code", "report" | "error"}], ...}.
void print_json(const std::vector<std::string>& files, const std::vector<FileRun>& runs, int worst) {
  if (files.size() == 1) {
    if (!runs.empty() && runs[0].error.empty()) std::puts(runs[0].json.dump(2).c_str());
    return;
  }
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < runs.size(); ++i) {
    nlohmann::json entry = {{"file", files[i]}, {"exit_code", runs[i].exit_code}};
    if (!runs[i].error.empty()) entry["error"] = runs[i].error;
    else entry["report"] = runs[i].json;
    list.push_back(std::move(entry));
  }
  const nlohmann::json doc = {
      {"schema", "replsim.run_report/1"}, {"runs", list}, {"passed", worst == kExitOk}, {"exit_code", worst}};
  std::puts(doc.dump(2).c_str());
}

int run_all(const RunOptions& o) {
  HtmlPages pages(o.html, o.files.size());
  if (Status s = pages.prepare(); !o.html.empty() && !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return kExitBadInput;
  }
  int worst = kExitOk;
  std::vector<FileRun> runs;
  for (size_t i = 0; i < o.files.size(); ++i) {
    if (i > 0 && !o.json && !o.quiet) std::fputs("\n", stdout);
    runs.push_back(run_one(o.files[i], o, pages));
    worst = std::max(worst, runs.back().exit_code);
    if (runs.back().exit_code > 128) break;  // Interrupted: stop after cleaning up, as the signal asked.
  }
  if (!o.html.empty() && !finish_html(pages, o.files.size(), o.real)) worst = std::max(worst, kExitBadInput);
  if (o.json) print_json(o.files, runs, worst);
  std::fflush(stdout);
  return worst;
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Predict scenarios with the simulator (or observe them on real PostgreSQL with --real) and check their expectations");
  cmd->add_option("files", options->files, "Scenario files (YAML; see docs/scenario.md)")
      ->required()
      ->type_name("FILE");
  whole_number_option(cmd->add_option("--seed", options->seed, "Simulation seed (same seed, same output)"));
  cmd->add_flag("--json", options->json,
                "Print one JSON document: one file's run and verdicts; for several files, {schema, runs: [{file, "
                "exit_code, report or error}], passed, exit_code} (docs/scenario.md)");
  cmd->add_flag("--quiet", options->quiet, "Print only expectations that did not hold and a summary");
  cmd->add_option("--html", options->html,
                  "Write a self-contained timeline page to FILE; a directory (a trailing /, an existing directory, or "
                  "a path without .html for several scenarios) gets one page per scenario and index.html")
      ->type_name("FILE|DIR");
  cmd->add_flag("--real", options->real, "Run on a fresh real PostgreSQL 15 cluster instead of the simulator");
  cmd->add_flag("--keep", options->keep, "With --real: keep the cluster's directory (data, logs, archive)");
  add_pg_bindir_option(cmd, &options->pg_bindir, "With --real: ");
  add_timing_option(cmd, &options->timing);
  add_exit_codes(cmd, ExitCodes()
                          .ok("every expectation held")
                          .check_failed("an expectation did not hold")
                          .could_not_run("with --real: PostgreSQL missing or failing")
                          .interruptible());
  add_axis_option(cmd);
  cmd->callback([options, &exit_code] {
    if (!select_timing(options->timing)) {
      exit_code = kExitBadInput;
      return;
    }
    exit_code = run_all(*options);
  });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(10, add_run_command);

}  // namespace replsim::cli
