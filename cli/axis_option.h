// `--axis steps|time|auto` for the verbs that write a timeline page (run, verify, check
// --html): the page's x axis (docs/timelines.md, "The step axis"). Without the flag, auto: a
// time-proportional axis when the steps' durations differ by more than 10×, else one column
// per step.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/html_timeline.h"

namespace replsim::cli {

// Adds --axis to `cmd`; the choice is kept for this process (selected_axis).
void add_axis_option(CLI::App* cmd);

// The axis --axis chose (kAuto without it).
TimelineAxis selected_axis();

}  // namespace replsim::cli
