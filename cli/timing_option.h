// `--timing FILE` for the verbs that simulate (run, verify, check): the measured timing profile
// whose spread the simulator's two timing profiles take as their extremes (docs/timing.md,
// docs/model.md "Timing and either"). Without the flag, the profile shipped in
// timing/default.json and compiled into the binary (vocab/default_timing.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "vocab/timing_profile.h"

namespace replsim::cli {

// Adds --timing FILE to `cmd`, stored in *path.
void add_timing_option(CLI::App* cmd, std::string* path);

// Reads and validates `path` (empty: the shipped default) and selects it for this process.
// On an error prints it on stderr and returns false (the verb then exits kExitBadInput).
bool select_timing(const std::string& path);

// The profile select_timing chose (the shipped default before it is called).
const MeasuredTiming* selected_timing();

}  // namespace replsim::cli
