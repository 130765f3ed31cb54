// Conventions every verb shares (issue 22, "The command line"): options that take a file or a
// directory say FILE or DIR in --help and refuse a directory where a file belongs; whole numbers
// (seeds, counts) refuse a sign instead of wrapping "-1" to 2^64 - 1; every verb's --help ends
// with its exit codes; a mistyped subcommand is named with the nearest real one.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <utility>

#include "vocab/scenario.h"
#include "vocab/status.h"

namespace replsim::cli {

// `opt` takes a file to read or write: --help shows FILE, and a directory is refused at parse
// time ("--timing: scenarios: is a directory", exit 2).
CLI::Option* file_option(CLI::Option* opt);

// `opt` takes a directory: --help shows DIR.
CLI::Option* dir_option(CLI::Option* opt);

// `opt` takes a whole number >= 0 (a seed, a count, a size): "-1" is refused with the range,
// never wrapped; leading zeros are decimal ("010" is ten, not octal eight); 0x... is hex.
CLI::Option* whole_number_option(CLI::Option* opt);

// "PATH: is a directory" when `path` names a directory, else "" (a missing or unreadable file is
// left to the reader, which says "cannot read"). For positional scenario files.
std::string directory_error(const std::string& path);

// The scenario in `path`, as parse_scenario_file reads it; a directory is refused first
// ("scenarios/: is a directory") instead of failing as an unreadable file.
Result<Scenario> read_scenario_file(const std::string& path);

// What each exit code means for one verb; an empty entry is a code the verb never returns.
// Built by chaining: ExitCodes().ok("...").check_failed("...").could_not_run("...").interruptible().
struct ExitCodes {
  std::string ok_text;
  std::string check_failed_text;
  std::string bad_input_text = "bad input: a file that does not parse or is a directory, a bad option";
  std::string could_not_run_text;
  bool interruptible_run = false;  // Runs real PostgreSQL: 128 + the signal after cleaning up.

  ExitCodes& ok(std::string text) { return set(ok_text, std::move(text)); }
  ExitCodes& check_failed(std::string text) { return set(check_failed_text, std::move(text)); }
  ExitCodes& bad_input(std::string text) { return set(bad_input_text, std::move(text)); }
  ExitCodes& could_not_run(std::string text) { return set(could_not_run_text, std::move(text)); }
  ExitCodes& interruptible() {
    interruptible_run = true;
    return *this;
  }

 private:
  ExitCodes& set(std::string& field, std::string text) {
    field = std::move(text);
    return *this;
  }
};

// Ends `cmd`'s --help with its exit codes (command.h), one per line.
void add_exit_codes(CLI::App* cmd, const ExitCodes& codes);

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbours each cost 1 ("rnu" is 1 from "run").
size_t edit_distance(std::string_view a, std::string_view b);

// "replsim: unknown command 'rnu'; did you mean 'run'?" when argv names a subcommand that does
// not exist where one is expected (at the top, or under `runs` or `wal`); "" otherwise, and the
// parse goes on. Stops at the first option, whose values it cannot tell from words.
std::string unknown_command_message(const CLI::App& app, int argc, const char* const* argv);

}  // namespace replsim::cli
