#include "vocab/standby_names.h"

#include <gtest/gtest.h>

namespace replsim {
namespace {

using Method = StandbyNames::Method;

StandbyNames parse_ok(const std::string& text) {
  auto r = parse_standby_names(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : StandbyNames{};
}

TEST(StandbyNamesTest, EmptyMeansAsynchronous) {
  EXPECT_FALSE(parse_ok("").enabled());
  EXPECT_FALSE(parse_ok("   ").enabled());
}

TEST(StandbyNamesTest, PlainListIsFirstOne) {
  StandbyNames n = parse_ok("s1, s2");
  EXPECT_EQ(n.method, Method::kPriority);
  EXPECT_EQ(n.num_sync, 1);
  EXPECT_EQ(n.names, (std::vector<std::string>{"s1", "s2"}));
}

TEST(StandbyNamesTest, FirstAndAnyWithCounts) {
  StandbyNames first = parse_ok("FIRST 2 (s1, s2, s3)");
  EXPECT_EQ(first.method, Method::kPriority);
  EXPECT_EQ(first.num_sync, 2);
  EXPECT_EQ(first.names.size(), 3u);
  StandbyNames any = parse_ok("any 1 (s1,s2)");
  EXPECT_EQ(any.method, Method::kQuorum);
  EXPECT_EQ(any.num_sync, 1);
  StandbyNames bare = parse_ok("2 (a, b)");  // FIRST is optional before a number.
  EXPECT_EQ(bare.method, Method::kPriority);
  EXPECT_EQ(bare.num_sync, 2);
}

TEST(StandbyNamesTest, KeywordsAreNamesWhenNoNumberFollows) {
  StandbyNames n = parse_ok("first, any");
  EXPECT_EQ(n.names, (std::vector<std::string>{"first", "any"}));
}

TEST(StandbyNamesTest, StarAndQuotedNames) {
  StandbyNames n = parse_ok(R"(FIRST 1 ("My Standby", *))");
  EXPECT_EQ(n.names, (std::vector<std::string>{"My Standby", "*"}));
  EXPECT_EQ(n.priority_of("anything"), 2);
  EXPECT_EQ(n.priority_of("my standby"), 1);  // application_name matches case-insensitively.
}

TEST(StandbyNamesTest, PriorityIsPositionOfFirstMatch) {
  StandbyNames n = parse_ok("FIRST 1 (s2, s1)");
  EXPECT_EQ(n.priority_of("s2"), 1);
  EXPECT_EQ(n.priority_of("S1"), 2);
  EXPECT_EQ(n.priority_of("s3"), 0);
}

TEST(StandbyNamesTest, RejectsMalformedValuesWithColumn) {
  for (const char* bad :
       {"FIRST 1 (s1", "ANY 0 (s1)", "FIRST 1 ()", "s1,,s2", "(s1)", "ANY 1 (s1) x", "\"open", "s1 s2"}) {
    int column = 0;
    auto r = parse_standby_names(bad, &column);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_GT(column, 0) << bad;
  }
}

TEST(StandbyNamesTest, PrintsCanonicalForm) {
  EXPECT_EQ(parse_ok("s1").to_string(), "FIRST 1 (s1)");
  EXPECT_EQ(parse_ok("ANY 2 (a, b, c)").to_string(), "ANY 2 (a, b, c)");
}

}  // namespace
}  // namespace replsim
