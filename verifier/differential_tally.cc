#include "verifier/differential_tally.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace replsim {
namespace {

double percent(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

}  // namespace

void DifferentialTally::add(const Verification& v) {
  ++runs_;
  switch (v.verdict) {
    case Verification::Verdict::kAgree: ++agreed_; break;
    case Verification::Verdict::kDisagree: ++disagreed_; break;
    case Verification::Verdict::kIncomplete: ++incomplete_; break;
    case Verification::Verdict::kError: ++could_not_run_; return;  // Nothing was compared.
  }
  presence_determinate_ += v.comparison.presence.determinate;
  presence_either_ += v.comparison.presence.either;
}

double DifferentialTally::agreement_percent() const { return percent(agreed_, runs_); }

double DifferentialTally::determinate_percent() const {
  return percent(presence_determinate_, presence_determinate_ + presence_either_);
}

std::string DifferentialTally::summary() const {
  return fmt::format(
      "agreed on {} of {} runs ({:.1f}%); {} disagreed, {} incomplete, {} could not run; presence predictions "
      "determinate: {} of {} ({:.1f}%)",
      agreed_, runs_, agreement_percent(), disagreed_, incomplete_, could_not_run_, presence_determinate_,
      presence_determinate_ + presence_either_, determinate_percent());
}

nlohmann::json to_json(const DifferentialTally& t) {
  nlohmann::json disagreements = nlohmann::json::array();
  for (const RecordedDisagreement& d : t.disagreements()) {
    disagreements.push_back({{"run", d.run},
                             {"seed", d.seed},
                             {"scenario", d.scenario},
                             {"differences", d.differences},
                             {"reproduced", d.reproduced},
                             {"original_steps", d.original_steps},
                             {"steps", d.steps},
                             {"shrink_runs", d.shrink_runs},
                             {"shrunk_differences", d.shrunk_differences},
                             {"file", d.file},
                             {"yaml", d.yaml}});
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const RecordedRunError& e : t.errors())
    errors.push_back({{"run", e.run}, {"seed", e.seed}, {"scenario", e.scenario}, {"error", e.error}});
  return {{"runs", t.runs()},
          {"agreed", t.agreed()},
          {"disagreed", t.disagreed()},
          {"incomplete", t.incomplete()},
          {"could_not_run", t.could_not_run()},
          {"agreement_percent", t.agreement_percent()},
          {"presence",
           {{"determinate", t.presence_determinate()},
            {"either", t.presence_either()},
            {"determinate_percent", t.determinate_percent()}}},
          {"summary", t.summary()},
          {"disagreements", std::move(disagreements)},
          {"errors", std::move(errors)}};
}

}  // namespace replsim
