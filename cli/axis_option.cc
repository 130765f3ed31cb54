#include "cli/axis_option.h"

#include <string>

namespace replsim::cli {
namespace {
TimelineAxis g_axis = TimelineAxis::kAuto;  // One command runs per process.
}  // namespace

void add_axis_option(CLI::App* cmd) {
  cmd->add_option_function<std::string>(
         "--axis", [](const std::string& word) { g_axis = parse_timeline_axis(word).value_or(TimelineAxis::kAuto); },
         "With --html: the timeline's x axis: steps (a column per step), time (each step as wide as it took), or "
         "auto (default: time when the steps' durations differ by more than 10x)")
      ->check(CLI::IsMember({"steps", "time", "auto"}))
      ->type_name("steps|time|auto");
}

TimelineAxis selected_axis() { return g_axis; }

}  // namespace replsim::cli
