// run_scenario: builds the Cluster, drives a Runner (harness/runner.h) through setup, the
// steps and the final observations, and lets the Cluster's destructor stop everything.
#include "harness/scenario_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "harness/cluster.h"
#include "harness/interrupt.h"
#include "harness/runner.h"
#include "vocab/dataset.h"

namespace replsim::harness {
namespace {

// Node names become application_name inside primary_conninfo (a conninfo string inside a
// configuration string) and replication slot names: only plain identifiers are safe there.
// The parser enforces this; a Scenario built in C++ is checked here.
bool plain_identifier(const std::string& name) {
  if (name.empty() || name.size() > 63 || !(std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

Status validate_for_harness(const Scenario& scenario) {
  if (scenario.cluster.nodes.empty()) return Status::InvalidInput("the scenario names no nodes");
  for (const auto& n : scenario.cluster.nodes) {
    if (!plain_identifier(n.name)) {
      return Status::InvalidInput(fmt::format("node name '{}' is not [a-z_][a-z0-9_]*", n.name));
    }
  }
  const std::vector<std::string>& parts = naive_copy_parts();
  for (const auto& st : scenario.steps) {
    if (st.kind == StepKind::kRestore && !plain_identifier(st.node)) {
      return Status::InvalidInput(fmt::format("restored node name '{}' is not [a-z_][a-z0-9_]*", st.node));
    }
    // Parts name directories of the data directory: only the vocabulary's own four.
    for (const auto& part : st.kind == StepKind::kNaiveCopy ? st.files : std::vector<std::string>{}) {
      if (std::find(parts.begin(), parts.end(), part) == parts.end()) {
        return Status::InvalidInput(fmt::format("naive copy part '{}' is not one of {}", part, fmt::join(parts, ", ")));
      }
    }
    if ((st.kind == StepKind::kBreakArchive || st.kind == StepKind::kRepairArchive) && !scenario.cluster.archive_mode) {
      return Status::InvalidInput(fmt::format("{} needs archive_mode: true", to_string(st.kind)));
    }
  }
  if (!scenario.resolved()) {
    return Status::InvalidInput(
        fmt::format("the scenario is not resolved (resolve_scenario): data set '{}'", scenario.cluster.dataset));
  }
  const uint64_t seg = scenario.cluster.wal_segment_size;
  if (seg < (1u << 20) || seg > (1u << 30) || (seg & (seg - 1)) != 0) {
    return Status::InvalidInput("wal_segment_size must be a power of two from 1 MB to 1 GB");
  }
  return Status::Ok();
}

Result<History> run_scenario(const Scenario& scenario, const HarnessOptions& options) {
  if (Status s = validate_for_harness(scenario); !s.ok()) return s;
  InterruptGuard guard;
  reset_interrupt();
  // Disk faults need every server under the disk gate with fsync on (docs/harness.md "Disk
  // stalls and operating-system crashes"); other scenarios keep the faster settings.
  HarnessOptions effective = options;
  const auto disk_step = [](const Step& st) {
    return st.kind == StepKind::kStallDisk || st.kind == StepKind::kOsCrash;
  };
  effective.disk_faults = options.disk_faults || std::any_of(scenario.steps.begin(), scenario.steps.end(), disk_step);
  auto cluster = Cluster::create(effective, scenario.cluster);
  if (!cluster.ok()) return cluster.status();
  Runner runner(scenario, effective, **cluster);
  if (Status s = runner.setup(); !s.ok()) {
    if (interrupted()) return Status::Interrupted(fmt::format("interrupted during setup: {}", s.message()));
    return s;
  }
  if (Status s = runner.run_steps(); !s.ok()) return s;
  runner.finish();
  return runner.take();  // `cluster` goes out of scope: every server stops, the directory goes.
}

}  // namespace replsim::harness
