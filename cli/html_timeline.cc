#include "cli/html_timeline.h"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <string>

#include "cli/timeline_page.h"
#include "cli/timeline_svg.h"

namespace replsim::cli {

const char* fate_id(TxFate fate) { return fate_style(fate).id; }

const NodeFinal* final_primary(const RunResult& run) {
  const NodeFinal* best = nullptr;
  for (const auto& n : run.nodes)
    if (n.state == NodeState::kPrimary && (best == nullptr || n.timeline >= best->timeline)) best = &n;
  return best;
}

TxFate tx_fate(const RunResult& run, const TxRecord& tx) {
  if (tx.outcomes.empty()) return TxFate::kInDoubt;
  if (tx.outcomes.size() > 1) return TxFate::kEither;
  switch (tx.outcomes[0]) {
    case TxOutcome::kAcknowledged: break;
    case TxOutcome::kBlocked: return TxFate::kBlocked;
    case TxOutcome::kCancelled: return TxFate::kCancelled;
    case TxOutcome::kInDoubt: return TxFate::kInDoubt;
    case TxOutcome::kFailed: return TxFate::kFailed;
  }
  const NodeFinal* primary = final_primary(run);
  if (primary == nullptr) return TxFate::kAcknowledged;
  auto it = primary->presence.find(tx.label);
  if (it == primary->presence.end()) return TxFate::kAcknowledged;
  switch (it->second) {
    case Presence::kPresent: return TxFate::kKept;
    case Presence::kAbsent: return TxFate::kLost;
    case Presence::kEither: return TxFate::kEither;
  }
  return TxFate::kAcknowledged;
}

std::string render_timeline_html(const Scenario& scenario, const RunResult* predicted, const RunResult* observed) {
  return TimelinePage(scenario, predicted, observed).render();
}

std::string render_timeline_html(const Scenario& scenario, const RunResult* predicted, const RunResult* observed,
                                 const PageBanner& banner, TimelineAxis axis) {
  return TimelinePage(scenario, predicted, observed, banner, axis).render();
}

namespace {
Status write_page(const std::string& path, const std::string& page) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError(fmt::format("{}: cannot write the timeline page", path));
  out << page;
  out.close();
  if (!out) return Status::IoError(fmt::format("{}: writing the timeline page failed", path));
  return Status::Ok();
}
}  // namespace

Status write_timeline_html(const std::string& path, const Scenario& scenario, const RunResult* predicted,
                           const RunResult* observed, TimelineAxis axis) {
  return write_page(path, render_timeline_html(scenario, predicted, observed, PageBanner{}, axis));
}

std::string render_counterexample_html(const std::string& property, const std::string& witness,
                                       const std::string& yaml_file, const Scenario& scenario,
                                       const RunResult& prediction, TimelineAxis axis) {
  Scenario shown = scenario;
  if (!yaml_file.empty()) shown.file = yaml_file;
  return render_timeline_html(shown, &prediction, nullptr,
                              PageBanner{"Counterexample: " + property + " does not hold", witness}, axis);
}

Status write_counterexample_html(const std::string& path, const std::string& property, const std::string& witness,
                                 const std::string& yaml_file, const Scenario& scenario, const RunResult& prediction,
                                 TimelineAxis axis) {
  return write_page(path, render_counterexample_html(property, witness, yaml_file, scenario, prediction, axis));
}

}  // namespace replsim::cli

namespace replsim::cli {
std::string html_path_for(const std::string& base, const std::string& scenario_name, size_t count) {
  if (count <= 1) return base;
  const size_t slash = base.find_last_of('/');
  const size_t dot = base.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  std::string safe;
  for (char c : scenario_name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
  return has_ext ? base.substr(0, dot) + "-" + safe + base.substr(dot) : base + "-" + safe;
}
}  // namespace replsim::cli
