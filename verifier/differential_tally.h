// DifferentialTally: the account of a differential campaign that keeps going past its
// disagreements (`replsim check --real --keep-going`, docs/properties.md): how many runs agreed,
// how many disagreed or could not run, what share of the presence predictions were
// determinate, and every disagreement with its differences and its shrunk scenario.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "verifier/verification.h"

namespace replsim {

// One disagreement of the campaign, after shrinking.
struct RecordedDisagreement {
  int64_t run = 0;
  uint64_t seed = 0;                            // The run's seed (generator and simulator).
  std::string scenario;                         // The generated scenario's name.
  std::vector<std::string> differences;         // The generated run's differences, one sentence each.
  bool reproduced = false;                      // A rerun of the shrunk scenario disagreed too.
  size_t original_steps = 0, steps = 0;         // Steps before and after shrinking.
  int shrink_runs = 0;                          // Real runs the shrinker spent.
  std::vector<std::string> shrunk_differences;  // The shrunk scenario's, when reproduced.
  std::string yaml;                             // The scenario file written: shrunk, or as generated.
  std::string file;                             // Where it was written.
};

// A run that one side could not finish.
struct RecordedRunError {
  int64_t run = 0;
  uint64_t seed = 0;
  std::string scenario;
  std::string error;
};

class DifferentialTally {
 public:
  // Counts one judged run: its verdict and its presence comparisons.
  void add(const Verification& verification);
  void add_disagreement(RecordedDisagreement disagreement) { disagreements_.push_back(std::move(disagreement)); }
  void add_error(RecordedRunError error) { errors_.push_back(std::move(error)); }

  int64_t runs() const { return runs_; }
  int64_t agreed() const { return agreed_; }
  int64_t disagreed() const { return disagreed_; }
  // Agreed on everything observed, but some determinate prediction was not observed.
  int64_t incomplete() const { return incomplete_; }
  int64_t could_not_run() const { return could_not_run_; }
  // Agreed runs as a percentage of all runs (0 with no runs).
  double agreement_percent() const;
  int64_t presence_determinate() const { return presence_determinate_; }
  int64_t presence_either() const { return presence_either_; }
  // Determinate presence predictions as a percentage of all presence predictions compared.
  double determinate_percent() const;
  const std::vector<RecordedDisagreement>& disagreements() const { return disagreements_; }
  const std::vector<RecordedRunError>& errors() const { return errors_; }

  // "agreed on 97 of 100 runs (97.0%); 2 disagreed, 1 could not run; presence predictions
  // determinate: 812 of 830 (97.8%)"
  std::string summary() const;

 private:
  int64_t runs_ = 0, agreed_ = 0, disagreed_ = 0, incomplete_ = 0, could_not_run_ = 0;
  int64_t presence_determinate_ = 0, presence_either_ = 0;
  std::vector<RecordedDisagreement> disagreements_;
  std::vector<RecordedRunError> errors_;
};

// The tally as one JSON object: counts, rates, every disagreement and every error.
nlohmann::json to_json(const DifferentialTally& tally);

}  // namespace replsim
