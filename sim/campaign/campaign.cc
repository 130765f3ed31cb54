#include "sim/campaign/campaign.h"

#include <malloc.h>

#include <fmt/format.h>

#include <map>
#include <optional>

#include "sim/campaign/scenario_writer.h"
#include "vocab/assert.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a: a fixed hash of the property's name (std::hash may differ between libraries).
uint64_t name_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

struct Judgement {
  Verdict verdict;
  bool counts = false;
  std::string error;
};

Judgement judge(const Property& property, const Scenario& scenario, const CampaignOptions& options, uint64_t seed) {
  Judgement j;
  if (property.may_apply != nullptr && !property.may_apply(scenario)) return j;  // Holds, not applicable.
  sim::SimOptions sim_options;
  sim_options.seed = seed;
  sim_options.perturbation = options.perturbation;
  sim_options.recording = property.reads;
  sim_options.timing = options.timing;
  auto prediction = sim::simulate(scenario, sim_options);
  if (!prediction.ok()) {
    j.error = prediction.status().message();
    j.counts = true;  // A generated scenario the simulator refuses is a bug worth shrinking.
    return j;
  }
  j.verdict = property.check(Evaluation{scenario, *prediction, sim_options});
  j.counts = property.counts(j.verdict);
  return j;
}

// The shrinker keeps a candidate only if it fails at least as strongly as the original:
// a determinate counterexample never shrinks into a timing-dependent one.
bool still_fails(const Judgement& original, const Judgement& candidate) {
  if (!candidate.counts) return false;
  if (!original.error.empty()) return !candidate.error.empty();
  if (!candidate.error.empty()) return false;
  return original.verdict.kind != Verdict::Kind::kViolated || candidate.verdict.kind == Verdict::Kind::kViolated;
}

class Shrinker {
 public:
  // `fails` judges a candidate; `budget` bounds how many candidates it may judge.
  Shrinker(const Profile& profile, int budget, const ScenarioPredicate& fails)
      : profile_(profile), budget_(budget), fails_(fails) {}

  // Walks rapidcheck's shrink tree greedily: the first child that still fails becomes the
  // new root, as rapidcheck's own test runner does.
  // A quarter of the budget stays for the step removals that follow: a long shrink tree
  // would otherwise leave none.
  Plan shrink_plan(rc::Shrinkable<Plan> root) {
    const int plan_budget = budget_ - budget_ / 4;
    bool progress = true;
    while (progress && runs_ < plan_budget) {
      progress = false;
      auto children = root.shrinks();
      while (auto child = children.next()) {
        // A run counts only when judged (the budget ends the walk before the next judgement).
        if (runs_ >= plan_budget) break;
        ++runs_;
        if (fails_(realize(child->value(), profile_, "generated", StepText::kOmit))) {
          root = std::move(*child);
          progress = true;
          break;
        }
      }
    }
    return root.value();
  }

  // Removes single steps, last first, while the scenario stays valid and still fails; a disk
  // stall also together with the OS crash that ends it (which alone cannot go).
  Scenario remove_steps(Scenario scenario) {
    bool progress = true;
    while (progress && runs_ < budget_) {
      progress = false;
      for (size_t i = scenario.steps.size(); i-- > 0 && runs_ < budget_;) {
        for (const bool with_end : {false, true}) {
          const std::optional<size_t> end = with_end ? end_of_stall(scenario, i) : std::nullopt;
          if (with_end && !end) continue;
          Scenario candidate = scenario;
          if (end) candidate.steps.erase(candidate.steps.begin() + static_cast<std::ptrdiff_t>(*end));
          candidate.steps.erase(candidate.steps.begin() + static_cast<std::ptrdiff_t>(i));
          auto parsed = round_trip(candidate);
          if (!parsed.ok()) continue;
          ++runs_;
          if (fails_(*parsed)) {
            scenario = std::move(*parsed);
            progress = true;
            break;
          }
        }
        if (i > scenario.steps.size()) i = scenario.steps.size();
      }
    }
    return scenario;
  }

  // Renames the transactions t1, t2, ... in step order (and the values derived from
  // their labels), so that a shrunk file reads like a hand-written one.
  Scenario relabel(const Scenario& scenario) {
    Scenario out = scenario;
    std::map<std::string, std::string> renamed;
    for (Step& step : out.steps) {
      if (step.kind == StepKind::kCancel || step.label.empty()) continue;
      const std::string fresh = fmt::format("t{}", renamed.size() + 1);
      renamed[step.label] = fresh;
      for (auto& [column, value] : step.values) {
        if (value.rfind(step.label + "@", 0) == 0) value = fresh + value.substr(step.label.size());
        if (value == "Gen" + step.label.substr(1)) value = "Gen" + fresh.substr(1);
      }
      step.label = fresh;
    }
    for (Step& step : out.steps) {
      if (step.kind == StepKind::kCancel && renamed.count(step.label)) step.label = renamed[step.label];
      // A recovery target may name a transaction (xid, or lsn by label).
      const bool names_label = step.target.kind == RecoveryTarget::Kind::kXid ||
                               step.target.kind == RecoveryTarget::Kind::kLsn;
      if (step.kind == StepKind::kRestore && names_label && renamed.count(step.target.ref))
        step.target.ref = renamed[step.target.ref];
    }
    auto parsed = round_trip(out);
    if (!parsed.ok()) return scenario;
    ++runs_;
    return fails_(*parsed) ? *parsed : scenario;
  }

  int runs() const { return runs_; }

 private:
  // The os_crash that ends the disk stall of step `i`, if step `i` is a stall.
  static std::optional<size_t> end_of_stall(const Scenario& s, size_t i) {
    if (s.steps[i].kind != StepKind::kStallDisk) return std::nullopt;
    for (size_t j = i + 1; j < s.steps.size(); ++j)
      if (s.steps[j].kind == StepKind::kOsCrash && s.steps[j].node == s.steps[i].node) return j;
    return std::nullopt;
  }

  const Profile& profile_;
  int budget_;
  const ScenarioPredicate& fails_;
  int runs_ = 0;
};

std::string header(const Counterexample& c, const Property& p, const CampaignOptions& options) {
  std::string out = fmt::format("# Counterexample to {} ({}), shrunk from {} to {} steps.\n", p.name, to_string(p.kind),
                                c.original_steps, c.scenario.steps.size());
  out += fmt::format("# Claim: {}\n", p.sentence);
  out += fmt::format("# Seen: {}\n", c.verdict.witness);
  out += fmt::format("# Reproduce the campaign: replsim check --property {} --seed {} --runs {} --max-steps {}\n",
                     p.name, options.seed, c.run + 1, options.max_steps);
  out += "# Replay it: replsim run FILE (simulator); replsim verify FILE (real PostgreSQL).\n";
  return out;
}

}  // namespace

void keep_large_blocks_in_heap() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

uint64_t run_seed(const std::string& name, uint64_t campaign_seed, int64_t run) {
  return splitmix64(splitmix64(campaign_seed ^ name_hash(name)) + static_cast<uint64_t>(run));
}

uint64_t run_seed(const Property& property, uint64_t campaign_seed, int64_t run) {
  return run_seed(property.name, campaign_seed, run);
}

ShrinkResult shrink_scenario(const rc::Shrinkable<Plan>& root, const Profile& profile, const std::string& name,
                             int budget, const ScenarioPredicate& fails) {
  Shrinker shrinker(profile, budget, fails);
  const Plan plan = shrinker.shrink_plan(root);
  Scenario scenario = realize(plan, profile, name);
  if (auto parsed = round_trip(scenario); parsed.ok()) scenario = std::move(*parsed);
  scenario = shrinker.remove_steps(std::move(scenario));
  scenario = shrinker.relabel(scenario);
  return ShrinkResult{std::move(scenario), shrinker.runs()};
}

RunOutcome run_once(const Property& property, const CampaignOptions& options, int64_t run) {
  REPLSIM_ASSERT(property.check != nullptr, "run_once needs a checkable property");
  RunOutcome out;
  out.run = run;
  out.seed = run_seed(property, options.seed, run);
  const Plan plan = draw_plan(out.seed, options.max_steps, options.exact_steps);
  const Scenario scenario = realize(plan, property.profile, "generated", StepText::kOmit);
  out.steps = scenario.steps.size();
  Judgement j = judge(property, scenario, options, out.seed);
  out.verdict = std::move(j.verdict);
  out.counts = j.counts;
  out.error = std::move(j.error);
  return out;
}

Counterexample shrink_run(const Property& property, const CampaignOptions& options, int64_t run) {
  Counterexample c;
  c.property = property.name;
  c.campaign_seed = options.seed;
  c.run = run;
  c.run_seed = run_seed(property, options.seed, run);
  const rc::Shrinkable<Plan> root = shrinkable_plan(c.run_seed, options.max_steps, options.exact_steps);
  const Scenario original = realize(root.value(), property.profile);
  c.original_steps = original.steps.size();
  const Judgement first = judge(property, original, options, c.run_seed);
  REPLSIM_ASSERT(first.counts, "shrink_run needs a run that counts against the property");

  const ScenarioPredicate fails = [&](const Scenario& candidate) {
    return still_fails(first, judge(property, candidate, options, c.run_seed));
  };
  ShrinkResult shrunk = shrink_scenario(root, property.profile, "counterexample-" + property.name,
                                        options.shrink_budget, fails);
  Scenario scenario = std::move(shrunk.scenario);
  c.shrink_runs = shrunk.runs;

  const Judgement last = judge(property, scenario, options, c.run_seed);
  c.verdict = last.verdict;
  if (!last.error.empty()) c.verdict.witness = "the simulator refused it: " + last.error;
  scenario.description = fmt::format(
      "{} {}", property.kind == PropertyKind::kGuarantee ? "Violates:" : "Refutes:", property.sentence);
  scenario.expectations = c.verdict.expectations;
  c.scenario = scenario;
  c.yaml = header(c, property, options) + write_scenario(scenario);
  // The file must read back as this very scenario: a counterexample that does not parse is useless.
  auto reread = parse_scenario_text(c.yaml, scenario.name + ".yaml");
  REPLSIM_ASSERT(reread.ok() && same_scenario(*reread, scenario), "a counterexample reads back as itself");
  return c;
}

bool PropertyReport::as_expected() const {
  if (!error.empty() || property == nullptr) return false;
  return property->kind == PropertyKind::kGuarantee ? !first_counting_run.has_value() : first_counting_run.has_value();
}

PropertyReport check_property(const Property& property, const CampaignOptions& options,
                              const std::function<void(const RunOutcome&)>& progress) {
  PropertyReport report;
  report.property = &property;
  if (property.check == nullptr) {
    report.error = "not checkable: " + property.unavailable;
    return report;
  }
  for (int64_t run = 0; run < options.runs; ++run) {
    const RunOutcome out = run_once(property, options, run);
    ++report.runs;
    report.applicable += out.verdict.applicable ? 1 : 0;
    report.possible += out.verdict.kind == Verdict::Kind::kPossiblyViolated ? 1 : 0;
    if (progress) progress(out);
    if (out.counts) {
      report.first_counting_run = run;
      break;
    }
  }
  if (report.first_counting_run) report.counterexample = shrink_run(property, options, *report.first_counting_run);
  return report;
}

}  // namespace replsim::campaign
