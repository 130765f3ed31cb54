// Verb registration for the replsim command: each cmd_*.cc adds its subcommand
// with a static REPLSIM_REGISTER_COMMAND, so verbs never edit each other's files.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace replsim::cli {

// Exit codes shared by every verb (README "Exit codes"). A run interrupted by SIGINT or SIGTERM
// exits 128 + the signal (130, 143) after cleaning up.
inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;  // A check failed: disagree, incomplete, an expectation.
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitCouldNotRun = 3;    // PostgreSQL missing or failing, a file not written.
inline constexpr int kExitInternalError = 4;  // A bug in replsim (an exception reached main).

// Adds a subcommand to `app`; when it is chosen, its callback stores the exit code in `exit_code`.
using CommandSetup = std::function<void(CLI::App& app, int& exit_code)>;

// `order` decides the position in --help. Returns true so it can initialise a static.
bool register_command(int order, CommandSetup setup);

}  // namespace replsim::cli

#define REPLSIM_REGISTER_COMMAND(order, fn) \
  static const bool replsim_registered_##fn = ::replsim::cli::register_command(order, fn)
