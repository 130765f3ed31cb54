// resolve_scenario: a scenario's data set and synchronous_standby_names are looked up and
// parsed once, by the parser or by code that builds a Scenario itself, and read from it after.
#include "vocab/scenario.h"

#include <gtest/gtest.h>

#include <string>

#include "vocab/scenario_parser.h"

namespace replsim {
namespace {

// The way the campaign generator and tests build a scenario: in code, from no file.
Scenario built_in_code(const std::string& names, const std::string& dataset) {
  Scenario s;
  s.name = "built";
  NodeSpec primary, standby;
  primary.name = "primary";
  primary.role = NodeRole::kPrimary;
  standby.name = "s1";
  s.cluster.nodes = {primary, standby};
  s.cluster.synchronous_standby_names = names;
  s.cluster.dataset = dataset;
  return s;
}

TEST(ResolveScenarioTest, ResolvesTheDataSetAndTheStandbyNamesOnce) {
  Scenario s = built_in_code("ANY 1 (s1, s2)", "empty");
  EXPECT_FALSE(s.resolved());
  ASSERT_TRUE(resolve_scenario(s).ok());
  ASSERT_TRUE(s.resolved());
  EXPECT_EQ(&s.dataset(), find_dataset("empty"));
  EXPECT_EQ(s.standby_names().method, StandbyNames::Method::kQuorum);
  EXPECT_EQ(s.standby_names().num_sync, 1);
  EXPECT_EQ(s.standby_names().names, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(s.cluster.synchronous_standby_names, "ANY 1 (s1, s2)") << "the text stays for postgresql.conf";
  EXPECT_TRUE(s.source.empty());
  const Scenario copy = s;
  EXPECT_TRUE(copy.resolved());
  EXPECT_EQ(&copy.dataset(), &s.dataset());
}

TEST(ResolveScenarioTest, EmptyStandbyNamesAreAsynchronous) {
  Scenario s = built_in_code("", "seed");
  ASSERT_TRUE(resolve_scenario(s).ok());
  EXPECT_FALSE(s.standby_names().enabled());
  EXPECT_EQ(&s.dataset(), &seed_dataset());
}

TEST(ResolveScenarioTest, RefusesAnUnknownDataSetBuiltInCode) {
  Scenario s = built_in_code("", "nope");
  const Status st = resolve_scenario(s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidInput);
  EXPECT_EQ(st.message(), "built: unknown data set 'nope'; expected one of: seed, empty");
  EXPECT_FALSE(s.resolved());
}

TEST(ResolveScenarioTest, RefusesBadStandbyNamesBuiltInCode) {
  Scenario s = built_in_code("FIRST 1 (s1", "seed");
  s.file = "generated.yaml";  // A file name without positions: the message names the file.
  const Status st = resolve_scenario(s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("generated.yaml: invalid synchronous_standby_names 'FIRST 1 (s1' at character", 0), 0u)
      << st.message();
  EXPECT_FALSE(s.resolved());
}

TEST(ResolveScenarioTest, AnEditAfterResolutionNeedsAnotherResolution) {
  Scenario s = built_in_code("s1", "seed");
  ASSERT_TRUE(resolve_scenario(s).ok());
  s.cluster.synchronous_standby_names = "FIRST 2 (s1, s2)";
  EXPECT_FALSE(s.resolved());
  ASSERT_TRUE(resolve_scenario(s).ok());
  EXPECT_EQ(s.standby_names().num_sync, 2);
  s.cluster.dataset = "empty";
  EXPECT_FALSE(s.resolved());
  ASSERT_TRUE(resolve_scenario(s).ok());
  EXPECT_EQ(&s.dataset(), find_dataset("empty"));
}

TEST(ResolveScenarioDeathTest, AnUnresolvedScenarioHasNoDataSet) {
  const Scenario s = built_in_code("", "seed");
  EXPECT_DEATH((void)s.dataset(), "resolve_scenario");
  EXPECT_DEATH((void)s.standby_names(), "resolve_scenario");
}

const char* kFile = "name: t\ncluster:\n  primary: p\n  standbys: [s1]\n";

TEST(ResolveScenarioTest, TheParserResolvesAndKeepsTheSource) {
  const std::string text = std::string(kFile) +
                           "  synchronous_standby_names: \"FIRST 1 (s1)\"\n  data: empty\nsteps: []\n";
  auto r = parse_scenario_text(text, "t.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->resolved());
  EXPECT_EQ(&r->dataset(), find_dataset("empty"));
  EXPECT_EQ(r->standby_names().priority_of("s1"), 1);
  EXPECT_EQ(r->source, text);
}

TEST(ResolveScenarioTest, ParsedErrorsNameFileLineAndColumn) {
  auto bad_names = parse_scenario_text(std::string(kFile) + "  synchronous_standby_names: \"ANY (s1)\"\nsteps: []\n",
                                       "t.yaml");
  ASSERT_FALSE(bad_names.ok());
  EXPECT_EQ(
      bad_names.status().message().rfind("t.yaml:5:30: invalid synchronous_standby_names 'ANY (s1)' at character", 0),
      0u)
      << bad_names.status().message();
  auto bad_data = parse_scenario_text(std::string(kFile) + "  data: nope\nsteps: []\n", "t.yaml");
  ASSERT_FALSE(bad_data.ok());
  EXPECT_EQ(bad_data.status().message(), "t.yaml:5:9: unknown data set 'nope'; expected one of: seed, empty");
}

}  // namespace
}  // namespace replsim
