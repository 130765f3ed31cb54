// The loss-window rules of sim/loss_window.h, one PostgreSQL 15 documentation rule per test.
#include "sim/loss_window.h"

#include <gtest/gtest.h>

namespace replsim::sim {
namespace {

LossWindowInput input(SyncCommit level, StandbySetup setup, int64_t latency_ms = 5, double tps = 1000) {
  LossWindowInput in;
  in.level = level;
  in.setup = setup;
  in.one_way_latency_us = latency_ms * 1000;
  in.tps = tps;
  in.partition_window_us = 3'000'000;
  return in;
}

TEST(LossWindowTest, AsyncStandbyLosesOneLinkCrossingOfCommits) {
  for (SyncCommit level : {SyncCommit::kLocal, SyncCommit::kRemoteWrite, SyncCommit::kOn, SyncCommit::kRemoteApply}) {
    LossWindow w = predict_loss_window(input(level, StandbySetup::kAsync, 5, 1000));
    EXPECT_EQ(w.window_us, 5000 + kSendProcessingUs) << to_string(level);
    EXPECT_NEAR(w.transactions, 5.1, 1e-9);
    EXPECT_FALSE(w.blocks_under_partition);
    EXPECT_EQ(w.stall_us, 0);
  }
}

TEST(LossWindowTest, OffLosesUpToThreeWalWriterDelaysEvenLocally) {
  LossWindow w = predict_loss_window(input(SyncCommit::kOff, StandbySetup::kFirst1, 0, 100));
  EXPECT_EQ(w.window_us, 200'000 + kSendProcessingUs);
  EXPECT_EQ(w.window_worst_us, 600'000 + kSendProcessingUs);
  EXPECT_NEAR(w.transactions, 20.01, 1e-9);
  EXPECT_NEAR(w.transactions_worst, 60.01, 1e-9);
  EXPECT_FALSE(w.blocks_under_partition);
}

TEST(LossWindowTest, LocalWithSyncStandbyStillLagsAndNeverBlocks) {
  LossWindow w = predict_loss_window(input(SyncCommit::kLocal, StandbySetup::kAny1, 20));
  EXPECT_EQ(w.window_us, 20'000 + kSendProcessingUs);
  EXPECT_FALSE(w.blocks_under_partition);
}

TEST(LossWindowTest, WaitingLevelsWithSyncStandbyRiskNoAcknowledgedCommit) {
  for (StandbySetup setup : {StandbySetup::kFirst1, StandbySetup::kAny1}) {
    for (SyncCommit level : {SyncCommit::kRemoteWrite, SyncCommit::kOn, SyncCommit::kRemoteApply}) {
      LossWindow w = predict_loss_window(input(level, setup, 20, 5000));
      EXPECT_EQ(w.window_us, 0);
      EXPECT_EQ(w.window_worst_us, 0);
      EXPECT_EQ(w.transactions, 0);
      EXPECT_TRUE(w.blocks_under_partition);
    }
  }
}

TEST(LossWindowTest, FirstOneFailsOverToS2AfterWalSenderTimeout) {
  LossWindow w = predict_loss_window(input(SyncCommit::kOn, StandbySetup::kFirst1, 5));
  EXPECT_EQ(w.stall_us, 2'000'000 + 10'000);
  EXPECT_EQ(w.released_by, "failover");
  LossWindowInput short_window = input(SyncCommit::kOn, StandbySetup::kFirst1, 5);
  short_window.partition_window_us = 1'000'000;
  w = predict_loss_window(short_window);
  EXPECT_EQ(w.stall_us, 1'000'000);
  EXPECT_EQ(w.released_by, "heal");
}

TEST(LossWindowTest, AnyOneWithBothStandbysPartitionedWaitsForTheHeal) {
  LossWindow w = predict_loss_window(input(SyncCommit::kRemoteApply, StandbySetup::kAny1));
  EXPECT_EQ(w.stall_us, 3'000'000);
  EXPECT_EQ(w.released_by, "heal");
}

TEST(LossWindowTest, SetupsRoundTripThroughTheirNames) {
  for (StandbySetup s : {StandbySetup::kAsync, StandbySetup::kFirst1, StandbySetup::kAny1})
    EXPECT_EQ(parse_standby_setup(to_string(s)), s);
  EXPECT_FALSE(parse_standby_setup("first2").has_value());
  EXPECT_STREQ(standby_names_of(StandbySetup::kFirst1), "FIRST 1 (s1, s2)");
  EXPECT_STREQ(standby_names_of(StandbySetup::kAsync), "");
}

}  // namespace
}  // namespace replsim::sim
