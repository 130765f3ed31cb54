#include "cli/timing_option.h"

#include <fmt/format.h>

#include <memory>

#include "cli/cli_conventions.h"
#include "vocab/default_timing.h"

namespace replsim::cli {
namespace {

// The verbs run one at a time in the process's main thread, before any worker starts.
std::unique_ptr<MeasuredTiming>& loaded() {
  static std::unique_ptr<MeasuredTiming> profile;
  return profile;
}

}  // namespace

void add_timing_option(CLI::App* cmd, std::string* path) {
  file_option(
      cmd->add_option("--timing", *path,
                      "Timing profile (JSON, as `replsim calibrate` writes it; see docs/timing.md) whose spread bounds "
                      "the simulator's virtual time per step (default: the shipped timing/default.json, compiled in)"));
}

bool select_timing(const std::string& path) {
  if (path.empty()) {
    loaded().reset();
    return true;
  }
  Result<MeasuredTiming> profile = read_timing_profile(path);
  if (!profile.ok()) {
    fmt::print(stderr, "replsim: --timing: {}\n", profile.status().message());
    return false;
  }
  loaded() = std::make_unique<MeasuredTiming>(std::move(profile.value()));
  return true;
}

const MeasuredTiming* selected_timing() { return loaded() != nullptr ? loaded().get() : &default_timing_profile(); }

}  // namespace replsim::cli
