// replsim: the command-line entry point. Parses the verb and returns its exit code:
// 0 ok, 1 a check failed, 2 bad input, 3 could not run, 4 internal error (command.h).
// Exceptions are programmer errors, caught here.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "cli/terminal_filter.h"

namespace replsim::cli {
namespace {
std::vector<std::pair<int, CommandSetup>>& registry() {
  static std::vector<std::pair<int, CommandSetup>> commands;
  return commands;
}
}  // namespace

bool register_command(int order, CommandSetup setup) {
  registry().emplace_back(order, std::move(setup));
  return true;
}

namespace {
ExitCodes top_level_exit_codes() {
  return ExitCodes()
      .ok("ok (each command's --help says what it checks)")
      .check_failed("a check failed: an expectation, a disagreement, a property, a damaged WAL")
      .could_not_run("PostgreSQL missing or failing, a file not written")
      .interruptible();
}
}  // namespace
}  // namespace replsim::cli

int main(int argc, char** argv) {
  using namespace replsim::cli;
  install_terminal_filters();  // Before anything prints: nothing untrusted reaches a terminal raw.
  CLI::App app{"replsim: predict, observe and verify what PostgreSQL replication keeps when things fail"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "replsim 0.1.0");
  int exit_code = kExitOk;
  auto& commands = registry();
  std::stable_sort(commands.begin(), commands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : commands) setup(app, exit_code);
  add_exit_codes(&app, top_level_exit_codes());
  if (const std::string unknown = unknown_command_message(app, argc, argv); !unknown.empty()) {
    std::fputs(unknown.c_str(), stderr);
    return kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 writes to std::cout/std::cerr, which the filter does not see: through it instead.
    std::ostringstream out, err;
    const int rc = app.exit(e, out, err);
    std::fputs(out.str().c_str(), stdout);
    std::fputs(err.str().c_str(), stderr);
    return rc == 0 ? kExitOk : kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "replsim: internal error: %s\n", e.what());
    return kExitInternalError;
  }
  return exit_code;
}
