#include "verifier/verification.h"

#include <nlohmann/json.hpp>

#include "verifier/expectations.h"

namespace replsim {
namespace {

std::vector<ExpectationOutcome> flatten(const std::vector<ExpectationResult>& results) {
  std::vector<ExpectationOutcome> out;
  for (const auto& r : results) {
    ExpectationOutcome o;
    o.text = r.expectation != nullptr ? r.expectation->text : "";
    o.verdict = r.verdict == ExpectationResult::Verdict::kHeld     ? "held"
                : r.verdict == ExpectationResult::Verdict::kFailed ? "failed"
                                                                   : "undetermined";
    o.explanation = r.explanation;
    out.push_back(std::move(o));
  }
  return out;
}

bool none_failed(const std::vector<ExpectationOutcome>& outcomes) {
  for (const auto& o : outcomes)
    if (o.verdict == "failed") return false;
  return true;
}

nlohmann::json expectations_json(const std::vector<ExpectationOutcome>& outcomes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& o : outcomes) out.push_back({{"text", o.text}, {"verdict", o.verdict}, {"explanation", o.explanation}});
  return out;
}

nlohmann::json findings_json(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : findings) out.push_back(to_json(f));
  return out;
}

}  // namespace

bool Verification::passed() const {
  return verdict == "agree" && history_findings.empty() && prediction_findings.empty() &&
         none_failed(predicted_expectations) && none_failed(observed_expectations);
}

Verification verify_runs(const Scenario& scenario, const Prediction& prediction, const History& history,
                         const ByteTolerance& tolerance) {
  Verification v;
  v.scenario = scenario.name;
  v.file = scenario.file;
  v.seed = prediction.seed;
  v.comparison = compare_runs(prediction, history, tolerance);
  v.verdict = v.comparison.agree ? "agree" : "disagree";
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
  v.verdict = "error";
  v.error = std::move(error);
  return v;
}

nlohmann::json to_json(const Verification& v) {
  return {{"schema", "replsim.verification/1"},
          {"scenario", v.scenario},
          {"file", v.file},
          {"seed", v.seed},
          {"verdict", v.verdict},
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
    v.verdict = j.at("verdict").get<std::string>();
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
        ExpectationOutcome o{e.at("text").get<std::string>(), e.at("verdict").get<std::string>(),
                             e.at("explanation").get<std::string>()};
        (std::string(key) == "predicted_expectations" ? v.predicted_expectations : v.observed_expectations).push_back(o);
      }
    }
    return v;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidInput(std::string("malformed verification: ") + e.what());
  }
}

}  // namespace replsim
