// `replsim run FILE... [--seed N] [--json] [--quiet]`: predicts each scenario with the
// simulator, prints the timeline and checks the scenario's expectations.
// Exit 0 when every expectation held, 1 when one did not, 2 on bad input.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.h"
#include "expectations.h"
#include "report_printer.h"
#include "simulator.h"
#include "vocab/scenario_parser.h"

namespace replsim::cli {
namespace {

struct RunOptions {
  std::vector<std::string> files;
  uint64_t seed = 1;
  bool json = false;
  bool quiet = false;
};

int run_one(const std::string& file, const RunOptions& o) {
  auto scenario = parse_scenario_file(file);
  if (!scenario.ok()) {
    std::fprintf(stderr, "%s\n", scenario.status().message().c_str());
    return kExitBadInput;
  }
  auto prediction = sim::simulate(*scenario, sim::SimOptions{o.seed, sim::Perturbation::kNone});
  if (!prediction.ok()) {
    std::fprintf(stderr, "%s\n", prediction.status().message().c_str());
    return kExitBadInput;
  }
  const std::vector<ExpectationResult> verdicts = check_expectations(*scenario, *prediction);
  const std::string text = o.json ? report_json(*prediction, verdicts).dump(2) + "\n"
                                  : format_report(*scenario, *prediction, verdicts, ReportOptions{o.quiet});
  std::fwrite(text.data(), 1, text.size(), stdout);
  return all_held(verdicts) ? kExitOk : kExitCheckFailed;
}

void add_run_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Predict scenarios with the simulator and check their expectations");
  cmd->add_option("files", options->files, "Scenario files (YAML; see docs/scenario.md)")->required();
  cmd->add_option("--seed", options->seed, "Simulation seed (same seed, same output)");
  cmd->add_flag("--json", options->json, "Print the prediction and verdicts as JSON");
  cmd->add_flag("--quiet", options->quiet, "Print only expectations that did not hold and a summary");
  cmd->callback([options, &exit_code] {
    int worst = kExitOk;
    for (size_t i = 0; i < options->files.size(); ++i) {
      if (i > 0 && !options->json && !options->quiet) std::fputs("\n", stdout);
      worst = std::max(worst, run_one(options->files[i], *options));
    }
    std::fflush(stdout);
    exit_code = worst;
  });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(10, add_run_command);

}  // namespace replsim::cli
