// The scenario writer's contract: every generated scenario, written and parsed back,
// is the same scenario — so generated scenarios obey the parser's own validity rules
// (the state walk of scenario_checker.cc), and counterexample files are ordinary files.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "campaign/property.h"
#include "campaign/scenario_gen.h"
#include "campaign/scenario_writer.h"
#include "vocab/scenario_parser.h"

namespace replsim::campaign {
namespace {

void expect_round_trip(const Scenario& scenario) {
  const std::string yaml = write_scenario(scenario);
  auto parsed = parse_scenario_text(yaml, "generated.yaml");
  RC_ASSERT(parsed.ok());
  std::string difference;
  RC_ASSERT(same_scenario(scenario, *parsed, &difference));
  // Writing what was read gives the same text: the writer is canonical.
  RC_ASSERT(write_scenario(*parsed) == yaml);
}

RC_GTEST_PROP(ScenarioWriterTest, GeneratedScenarioReadsBackAsItself, ()) {
  expect_round_trip(*gen_scenario(general_profile(), 40));
}

RC_GTEST_PROP(ScenarioWriterTest, EveryPropertysScenariosReadBackAsThemselves, ()) {
  const auto& properties = all_properties();
  const auto& property = properties[*rc::gen::inRange<size_t>(0, properties.size())];
  expect_round_trip(*gen_scenario(property.profile, 40));
}

TEST(ScenarioWriterTest, DrillFilesReadBackAsThemselves) {
  for (const char* file : {"scenarios/drill-2.1-replication-lag.yaml", "scenarios/drill-2.1-sync.yaml"}) {
    auto original = parse_scenario_file(file);
    ASSERT_TRUE(original.ok()) << original.status().message();
    auto parsed = parse_scenario_text(write_scenario(*original), file);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message() << "\n" << write_scenario(*original);
    std::string difference;
    EXPECT_TRUE(same_scenario(*original, *parsed, &difference)) << file << ": " << difference;
  }
}

TEST(ScenarioWriterTest, AwkwardStringsSurviveQuoting) {
  auto s = parse_scenario_file("scenarios/drill-2.1-replication-lag.yaml");
  ASSERT_TRUE(s.ok());
  s->description = "on: \"quoted\" \\ back\nslash # not a comment";
  s->steps[2].values[0].second = "on";
  s->steps[2].values[1].second = "";
  s->steps[2].values[2].second = "123";
  auto parsed = parse_scenario_text(write_scenario(*s), "awkward.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  std::string difference;
  EXPECT_TRUE(same_scenario(*s, *parsed, &difference)) << difference;
}

TEST(ScenarioWriterTest, EmptyStepListIsWrittenAsAList) {
  auto s = parse_scenario_file("scenarios/drill-2.1-sync.yaml");
  ASSERT_TRUE(s.ok());
  s->steps.clear();
  s->expectations.clear();
  auto parsed = parse_scenario_text(write_scenario(*s), "empty.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->steps.empty());
}

}  // namespace
}  // namespace replsim::campaign
