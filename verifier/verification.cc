#include "verifier/verification.h"

#include <nlohmann/json.hpp>

namespace replsim {
namespace {

std::vector<ExpectationOutcome> flatten(const std::vector<ExpectationResult>& results) {
  std::vector<ExpectationOutcome> out;
  for (const auto& r : results) {
    ExpectationOutcome o;
    o.text = r.expectation != nullptr ? r.expectation->text : "";
    o.verdict = r.verdict;
    o.explanation = r.explanation;
    out.push_back(std::move(o));
  }
  return out;
}

bool none_failed(const std::vector<ExpectationOutcome>& outcomes) {
  for (const auto& o : outcomes)
    if (o.verdict == ExpectationResult::Verdict::kFailed) return false;
  return true;
}

nlohmann::json expectations_json(const std::vector<ExpectationOutcome>& outcomes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : outcomes)
    out.push_back({{"text", o.text}, {"verdict", to_string(o.verdict)}, {"explanation", o.explanation}});
  return out;
}

nlohmann::json findings_json(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : findings) out.push_back(to_json(f));
  return out;
}

// Reading: an unknown word is reported with the key it was under.
struct BadVerdict {
  std::string what;
};

template <typename Verdict>
Verdict verdict_at(const nlohmann::json& j, const char* key, std::optional<Verdict> (*parse)(std::string_view)) {
  const std::string text = j.at(key).get<std::string>();
  const std::optional<Verdict> verdict = parse(text);
  if (!verdict) throw BadVerdict{"unknown " + std::string(key) + " '" + text + "'"};
  return *verdict;
}

}  // namespace

const char* to_string(ExpectationResult::Verdict verdict) {
  switch (verdict) {
    case ExpectationResult::Verdict::kHeld: return "held";
    case ExpectationResult::Verdict::kFailed: return "failed";
    case ExpectationResult::Verdict::kUndetermined: return "undetermined";
  }
  return "?";
}

std::optional<ExpectationResult::Verdict> parse_expectation_verdict(std::string_view text) {
  for (auto v : {ExpectationResult::Verdict::kHeld, ExpectationResult::Verdict::kFailed,
                 ExpectationResult::Verdict::kUndetermined})
    if (text == to_string(v)) return v;
  return std::nullopt;
}

const char* to_string(Verification::Verdict verdict) {
  switch (verdict) {
    case Verification::Verdict::kAgree: return "agree";
    case Verification::Verdict::kDisagree: return "disagree";
    case Verification::Verdict::kError: return "error";
    case Verification::Verdict::kIncomplete: return "incomplete";
  }
  return "?";
}

std::optional<Verification::Verdict> parse_verification_verdict(std::string_view text) {
  for (auto v : {Verification::Verdict::kAgree, Verification::Verdict::kDisagree, Verification::Verdict::kError,
                 Verification::Verdict::kIncomplete})
    if (text == to_string(v)) return v;
  return std::nullopt;
}

bool Verification::passed() const {
  return verdict == Verdict::kAgree && history_findings.empty() && prediction_findings.empty() &&
         none_failed(predicted_expectations) && none_failed(observed_expectations);
}

Verification verify_runs(const Scenario& scenario, const Prediction& prediction, const History& history,
                         const ByteTolerance& tolerance) {
  Verification v;
  v.scenario = scenario.name;
  v.file = scenario.file;
  v.seed = prediction.seed;
  v.comparison = compare_runs(prediction, history, tolerance);
  v.verdict = !v.comparison.agree        ? Verification::Verdict::kDisagree
              : !v.comparison.complete() ? Verification::Verdict::kIncomplete
                                         : Verification::Verdict::kAgree;
  v.history_findings = check_history(scenario, history);
  v.prediction_findings = check_history(scenario, prediction);
  v.predicted_expectations = flatten(check_expectations(scenario, prediction));
  v.observed_expectations = flatten(check_expectations(scenario, history));
  return v;
}

Verification verification_error(const Scenario& scenario, uint64_t seed, std::string error) {
  Verification v;
  v.scenario = scenario.name;
  v.file = scenario.file;
  v.seed = seed;
  v.verdict = Verification::Verdict::kError;
  v.error = std::move(error);
  return v;
}

nlohmann::json to_json(const Verification& v) {
  return {{"schema", "replsim.verification/1"},
          {"scenario", v.scenario},
          {"file", v.file},
          {"seed", v.seed},
          {"verdict", to_string(v.verdict)},
          {"passed", v.passed()},
          {"error", v.error},
          {"comparison", to_json(v.comparison)},
          {"history_findings", findings_json(v.history_findings)},
          {"prediction_findings", findings_json(v.prediction_findings)},
          {"predicted_expectations", expectations_json(v.predicted_expectations)},
          {"observed_expectations", expectations_json(v.observed_expectations)}};
}

Result<Verification> verification_from_json(const nlohmann::json& j) {
  try {
    if (j.at("schema").get<std::string>() != "replsim.verification/1")
      return Status::InvalidInput("unknown verification schema");
    Verification v;
    v.scenario = j.at("scenario").get<std::string>();
    v.file = j.at("file").get<std::string>();
    v.seed = j.at("seed").get<uint64_t>();
    v.verdict = verdict_at(j, "verdict", parse_verification_verdict);
    v.error = j.at("error").get<std::string>();
    auto comparison = comparison_from_json(j.at("comparison"));
    if (!comparison.ok()) return comparison.status();
    v.comparison = std::move(comparison).value();
    for (const char* key : {"history_findings", "prediction_findings"}) {
      for (const auto& f : j.at(key)) {
        auto finding = finding_from_json(f);
        if (!finding.ok()) return finding.status();
        (std::string(key) == "history_findings" ? v.history_findings : v.prediction_findings).push_back(*finding);
      }
    }
    for (const char* key : {"predicted_expectations", "observed_expectations"}) {
      for (const auto& e : j.at(key)) {
        ExpectationOutcome o{e.at("text").get<std::string>(), verdict_at(e, "verdict", parse_expectation_verdict),
                             e.at("explanation").get<std::string>()};
        (std::string(key) == "predicted_expectations" ? v.predicted_expectations : v.observed_expectations)
            .push_back(o);
      }
    }
    return v;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidInput(std::string("malformed verification: ") + e.what());
  } catch (const BadVerdict& e) {
    return Status::InvalidInput("malformed verification: " + e.what);
  }
}

}  // namespace replsim
