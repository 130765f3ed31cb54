// Values that reach configuration files are quoted or refused; scenarios built in C++ with
// names that could escape a conninfo string are refused before anything starts.
#include <gtest/gtest.h>

#include "harness/cluster.h"
#include "harness/scenario_runner.h"

namespace replsim::harness {
namespace {

TEST(ConfQuoteTest, DoublesQuotesAndEscapesBackslashes) {
  EXPECT_EQ(*conf_quote("FIRST 1 (replica)"), "'FIRST 1 (replica)'");
  EXPECT_EQ(*conf_quote("it's"), "'it''s'");
  EXPECT_EQ(*conf_quote("a\\b"), "'a\\\\b'");
  EXPECT_EQ(*conf_quote(""), "''");
}

TEST(ConfQuoteTest, RefusesControlCharacters) {
  EXPECT_FALSE(conf_quote("x'\nrestore_command = 'sh'").ok());
  EXPECT_FALSE(conf_quote(std::string("a\0b", 3)).ok());
}

Scenario two_nodes(const std::string& standby) {
  Scenario s;
  NodeSpec primary, replica;
  primary.name = "primary";
  primary.role = NodeRole::kPrimary;
  replica.name = standby;
  s.cluster.nodes = {primary, replica};
  EXPECT_TRUE(resolve_scenario(s).ok());
  return s;
}

TEST(HarnessValidationTest, AcceptsPlainNames) { EXPECT_TRUE(validate_for_harness(two_nodes("replica_2")).ok()); }

TEST(HarnessValidationTest, RefusesNamesThatCouldEscapeConninfo) {
  for (const char* bad : {"r1 host=evil", "r'1", "Replica", "", "1replica", "r\\1"}) {
    EXPECT_FALSE(validate_for_harness(two_nodes(bad)).ok()) << bad;
  }
}

TEST(HarnessValidationTest, RefusesUnknownDataSetAndBadSegmentSize) {
  Scenario s = two_nodes("replica");
  s.cluster.dataset = "nope";
  EXPECT_FALSE(validate_for_harness(s).ok());
  s = two_nodes("replica");
  s.cluster.wal_segment_size = 3 << 20;
  EXPECT_FALSE(validate_for_harness(s).ok());
}

TEST(HarnessValidationTest, RefusesABadRestoredNodeName) {
  Scenario s = two_nodes("replica");
  Step restore;
  restore.kind = StepKind::kRestore;
  restore.node = "x y";
  s.steps.push_back(restore);
  EXPECT_FALSE(validate_for_harness(s).ok());
}

// A naive copy's parts name directories of a data directory: only the four the vocabulary
// knows pass, so no part can reach outside it.
TEST(HarnessValidationTest, RefusesANaiveCopyPartThatIsNotADataDirectoryPart) {
  Scenario s = two_nodes("replica");
  Step copy;
  copy.kind = StepKind::kNaiveCopy;
  copy.name = "tarball";
  copy.files = {"base", "pg_wal"};
  s.steps.push_back(copy);
  EXPECT_TRUE(validate_for_harness(s).ok());
  for (const char* bad : {"../archive", "pg_multixact", "", "base/1"}) {
    s.steps.back().files = {"base", bad};
    EXPECT_FALSE(validate_for_harness(s).ok()) << bad;
  }
}

TEST(HarnessValidationTest, RefusesArchiveFaultsWithoutArchiveMode) {
  for (StepKind kind : {StepKind::kBreakArchive, StepKind::kRepairArchive}) {
    Scenario s = two_nodes("replica");
    Step fault;
    fault.kind = kind;
    s.steps.push_back(fault);
    EXPECT_FALSE(validate_for_harness(s).ok()) << to_string(kind);
    s.cluster.archive_mode = true;
    EXPECT_TRUE(validate_for_harness(s).ok()) << to_string(kind);
  }
}

}  // namespace
}  // namespace replsim::harness
