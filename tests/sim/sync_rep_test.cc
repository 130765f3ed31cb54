// synchronous_standby_names selection and release as syncrep.c does it.
#include "sim/sync_rep.h"

#include <gtest/gtest.h>

namespace replsim::sim {
namespace {

StandbyNames names(const std::string& text) {
  auto n = parse_standby_names(text);
  EXPECT_TRUE(n.ok()) << text;
  return *n;
}

WalSenderView ws(const std::string& name, uint64_t write, uint64_t flush, uint64_t apply) {
  return WalSenderView{name, true, true, Lsn{write}, Lsn{flush}, Lsn{apply}};
}

TEST(SyncRepTest, PlainListIsFirstOneWithTheOthersPotential) {
  auto d = decide_sync_rep(names("r1, r2"), {ws("r2", 10, 10, 10), ws("r1", 5, 5, 5)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"potential", "sync"}));
  ASSERT_TRUE(d.can_release);
  EXPECT_EQ(d.flush_lsn, Lsn{5});
}

TEST(SyncRepTest, FirstTwoReleasesAtTheMinimumOfBoth) {
  auto d = decide_sync_rep(names("FIRST 2 (a, b, c)"), {ws("c", 9, 9, 9), ws("a", 8, 7, 6), ws("b", 5, 4, 3)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"potential", "sync", "sync"}));
  EXPECT_EQ(d.write_lsn, Lsn{5});
  EXPECT_EQ(d.flush_lsn, Lsn{4});
  EXPECT_EQ(d.apply_lsn, Lsn{3});
}

// With '*' every standby has priority 1: which is synchronous follows the walsender slots,
// i.e. connection timing. Only then does the tie order decide (the two timing profiles break
// ties in opposite orders, so such a choice is predicted "either").
TEST(SyncRepTest, EqualPrioritiesLeaveTheChoiceToSlotOrder) {
  const std::vector<WalSenderView> two = {ws("s1", 5, 5, 5), ws("s2", 9, 9, 9)};
  EXPECT_TRUE(ties_decide(names("*"), two));
  EXPECT_EQ(decide_sync_rep(names("*"), two, false).sync_state, (std::vector<std::string>{"sync", "potential"}));
  EXPECT_EQ(decide_sync_rep(names("*"), two, true).sync_state, (std::vector<std::string>{"potential", "sync"}));
  EXPECT_EQ(decide_sync_rep(names("*"), two, true).flush_lsn, Lsn{9});
  EXPECT_FALSE(ties_decide(names("FIRST 1 (s1, s2)"), two));
  EXPECT_FALSE(ties_decide(names("ANY 1 (s1, s2)"), two));
  EXPECT_FALSE(ties_decide(names("FIRST 2 (*)"), two));  // Both are chosen either way.
  EXPECT_FALSE(ties_decide(names("*"), {ws("s1", 5, 5, 5)}));
}

TEST(SyncRepTest, AnyIsQuorumAndReleasesAtTheNthHighest) {
  auto d = decide_sync_rep(names("ANY 2 (a, b, c)"), {ws("a", 10, 10, 10), ws("b", 30, 30, 30), ws("c", 20, 20, 5)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"quorum", "quorum", "quorum"}));
  EXPECT_EQ(d.flush_lsn, Lsn{20});
  EXPECT_EQ(d.apply_lsn, Lsn{10});
}

// The text output's "confirmed by" names the standbys that reached the commit, not the quorum.
TEST(SyncRepTest, ConfirmedByListsOnlyTheStandbysThatReachedTheCommit) {
  const std::vector<WalSenderView> any = {ws("a", 10, 10, 10), ws("b", 30, 30, 30), ws("c", 20, 20, 5)};
  auto d = decide_sync_rep(names("ANY 1 (a, b, c)"), any);
  EXPECT_EQ(confirmed_by(d, any, SyncCommit::kOn, Lsn{25}), (std::vector<size_t>{1}));
  EXPECT_EQ(confirmed_by(d, any, SyncCommit::kOn, Lsn{20}), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(confirmed_by(d, any, SyncCommit::kRemoteApply, Lsn{20}), (std::vector<size_t>{1}));
  EXPECT_EQ(confirmed_by(d, any, SyncCommit::kRemoteWrite, Lsn{5}), (std::vector<size_t>{0, 1, 2}));
  // FIRST: every sync standby has reached what the minimum released; potential ones are not listed.
  const std::vector<WalSenderView> first = {ws("c", 9, 9, 9), ws("a", 8, 7, 6), ws("b", 5, 4, 3)};
  auto f = decide_sync_rep(names("FIRST 2 (a, b, c)"), first);
  EXPECT_EQ(confirmed_by(f, first, SyncCommit::kOn, Lsn{4}), (std::vector<size_t>{1, 2}));
}

TEST(SyncRepTest, UnlistedStandbysAreAsync) {
  auto d = decide_sync_rep(names("FIRST 1 (a)"), {ws("x", 1, 1, 1), ws("a", 2, 2, 2)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"async", "sync"}));
}

TEST(SyncRepTest, StarMatchesAnyStandbyAndTiesGoByConnectionOrder) {
  auto d = decide_sync_rep(names("*"), {ws("x", 1, 1, 1), ws("y", 2, 2, 2)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"sync", "potential"}));
  // Same names listed twice: the same priority, so the earlier connection wins.
  auto e = decide_sync_rep(names("FIRST 1 (r, r)"), {ws("r", 1, 1, 1), ws("r", 2, 2, 2)});
  EXPECT_EQ(e.sync_state, (std::vector<std::string>{"sync", "potential"}));
}

TEST(SyncRepTest, TooFewCandidatesReleasesNobody) {
  auto d = decide_sync_rep(names("FIRST 2 (a, b)"), {ws("a", 5, 5, 5)});
  EXPECT_FALSE(d.can_release);
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"sync"}));
}

TEST(SyncRepTest, StandbyWithoutFeedbackIsNotACandidate) {
  WalSenderView fresh{"a", true, false, {}, {}, {}};
  auto d = decide_sync_rep(names("FIRST 1 (a, b)"), {fresh, ws("b", 5, 5, 5)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"potential", "sync"}));
  EXPECT_TRUE(d.can_release);
}

TEST(SyncRepTest, HigherPriorityWinsOverEarlierConnection) {
  auto d = decide_sync_rep(names("FIRST 1 (a, b)"), {ws("b", 5, 5, 5), ws("a", 1, 1, 1)});
  EXPECT_EQ(d.sync_state, (std::vector<std::string>{"potential", "sync"}));
  EXPECT_EQ(d.flush_lsn, Lsn{1});
}

TEST(SyncRepTest, EachLevelWaitsForItsPosition) {
  auto d = decide_sync_rep(names("a"), {ws("a", 30, 20, 10)});
  EXPECT_EQ(release_position(d, SyncCommit::kRemoteWrite), Lsn{30});
  EXPECT_EQ(release_position(d, SyncCommit::kOn), Lsn{20});
  EXPECT_EQ(release_position(d, SyncCommit::kRemoteApply), Lsn{10});
  EXPECT_FALSE(commit_waits_for_standbys(SyncCommit::kLocal, names("a")));
  EXPECT_FALSE(commit_waits_for_standbys(SyncCommit::kOff, names("a")));
  EXPECT_FALSE(commit_waits_for_standbys(SyncCommit::kOn, names("")));
  EXPECT_TRUE(commit_waits_for_standbys(SyncCommit::kRemoteWrite, names("a")));
}

}  // namespace
}  // namespace replsim::sim
