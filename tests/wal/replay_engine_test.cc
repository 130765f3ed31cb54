// Recovery targets with PostgreSQL 15's semantics, on the sample WAL of wal_test_util.h:
//   xid 100 inserts keys 1 (t1) and 7 (t2), commits at t=1000
//   checkpoint; xid 101 updates key 1 and deletes key 7, aborts at t=2000; backup start
//   xid 102 truncates t1 and t2, restore point "before_load", inserts key 3, commits at t=3000
//   backup end; xid 103 inserts key 4 and commits at t=3000; xid 104 inserts t2 key 5 at t=4000
#include "sim/wal/replay_engine.h"

#include <gtest/gtest.h>

#include <set>

#include "sim/wal/memory_store.h"
#include "sim/wal/wal_reader.h"
#include "sim/wal/wal_writer.h"
#include "wal_test_util.h"

namespace replsim::wal {
namespace {

using Key = std::pair<TableId, uint64_t>;

class ReplayEngineTest : public ::testing::Test {
 protected:
  ReplayEngineTest() : wal_(256), writer_(&wal_, Lsn{256}) { records_ = testing::write_sample_wal(&writer_); }

  // Replays the whole sample WAL with `target`, then ends recovery.
  StopInfo replay(const RecoveryTarget& target) {
    store_ = MemoryStore();
    ReplayEngine engine(&store_, target);
    WalReader reader(&wal_, Lsn{256});
    const ReplayStop why = engine.replay(reader);
    EXPECT_EQ(why, target.kind == RecoveryTarget::Kind::kNone ? ReplayStop::kEndOfWal : why);
    replay_lsn_ = engine.replay_lsn();
    commits_ = engine.commits_applied();
    return engine.finish();
  }

  std::set<Key> keys() const {
    std::set<Key> out;
    for (TableId t : {1, 2}) {
      (void)store_.for_each(t, [&](uint64_t k, std::string_view) { out.insert({t, k}); });
    }
    return out;
  }

  SegmentStore wal_;
  WalWriter writer_;
  std::vector<Appended> records_;
  MemoryStore store_;
  Lsn replay_lsn_;
  uint64_t commits_ = 0;
};

TEST_F(ReplayEngineTest, NoTargetAppliesEveryCommittedTransaction) {
  StopInfo s = replay(RecoveryTarget::none());
  EXPECT_FALSE(s.reached);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}, {1, 4}, {2, 5}}));
  EXPECT_EQ(commits_, 4u);
  EXPECT_EQ(replay_lsn_, records_.back().end_lsn);
  std::string row;
  ASSERT_TRUE(store_.get(1, 3, &row).ok());
  EXPECT_EQ(row_column(row, 1), std::optional<std::string_view>("Garcia"));
}

TEST_F(ReplayEngineTest, XidInclusiveAppliesThatCommitAndStops) {
  StopInfo s = replay(RecoveryTarget::at_xid(102, true));
  EXPECT_TRUE(s.reached);
  EXPECT_TRUE(s.after);
  EXPECT_EQ(s.lsn, records_[11].lsn);
  EXPECT_EQ(s.reason, "recovery stopping after commit of transaction 102, time 1970-01-01 00:00:00.003+00");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}}));
}

TEST_F(ReplayEngineTest, XidExclusiveStopsBeforeThatCommit) {
  StopInfo s = replay(RecoveryTarget::at_xid(102, false));
  EXPECT_FALSE(s.after);
  EXPECT_EQ(s.lsn, records_[11].lsn);
  EXPECT_EQ(s.reason, "recovery stopping before commit of transaction 102, time 1970-01-01 00:00:00.003+00");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
  EXPECT_EQ(replay_lsn_, records_[11].lsn);  // Nothing of the commit record was replayed.
}

TEST_F(ReplayEngineTest, XidTargetAlsoStopsAtAnAbort) {
  StopInfo s = replay(RecoveryTarget::at_xid(101, true));
  EXPECT_EQ(s.reason, "recovery stopping after abort of transaction 101, time 1970-01-01 00:00:00.002+00");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
}

TEST_F(ReplayEngineTest, TimeInclusiveKeepsEveryCommitAtTheTargetTime) {
  // Two commits share t=3000: inclusive stops before the first commit later than the target.
  StopInfo s = replay(RecoveryTarget::at_time(3000, true));
  EXPECT_FALSE(s.after);
  EXPECT_EQ(s.xid, 104u);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}, {1, 4}}));
}

TEST_F(ReplayEngineTest, TimeExclusiveStopsAtTheFirstCommitAtTheTargetTime) {
  StopInfo s = replay(RecoveryTarget::at_time(3000, false));
  EXPECT_EQ(s.xid, 102u);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
}

TEST_F(ReplayEngineTest, TimeTargetConsidersAbortRecordsToo) {
  StopInfo s = replay(RecoveryTarget::at_time(1500, false));
  EXPECT_EQ(s.reason, "recovery stopping before abort of transaction 101, time 1970-01-01 00:00:00.002+00");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
}

TEST_F(ReplayEngineTest, LsnInclusiveAppliesTheRecordAtTheTarget) {
  StopInfo s = replay(RecoveryTarget::at_lsn(records_[11].lsn, true));
  EXPECT_TRUE(s.after);
  EXPECT_EQ(s.reason, "recovery stopping after WAL location (LSN) \"" + records_[11].lsn.to_string() + "\"");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}}));
}

TEST_F(ReplayEngineTest, LsnExclusiveStopsBeforeTheRecordAtTheTarget) {
  StopInfo s = replay(RecoveryTarget::at_lsn(records_[11].lsn, false));
  EXPECT_FALSE(s.after);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
}

TEST_F(ReplayEngineTest, LsnInsideARecordStopsAtTheNextRecordStart) {
  // A target inside the insert before commit 102: the first record starting at or after it is the
  // commit, so inclusive applies the commit and exclusive does not.
  const Lsn inside{records_[10].lsn.value + 8};
  StopInfo inc = replay(RecoveryTarget::at_lsn(inside, true));
  EXPECT_EQ(inc.lsn, records_[11].lsn);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}}));
  StopInfo exc = replay(RecoveryTarget::at_lsn(inside, false));
  EXPECT_EQ(exc.lsn, records_[11].lsn);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
}

TEST_F(ReplayEngineTest, NameStopsAfterTheRestorePointAndDropsOpenTransactions) {
  StopInfo s = replay(RecoveryTarget::at_name("before_load"));
  EXPECT_TRUE(s.after);
  EXPECT_EQ(s.lsn, records_[9].lsn);
  EXPECT_EQ(s.reason, "recovery stopping at restore point \"before_load\", time 1970-01-01 00:00:00.0025+00");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));  // 102's truncate was never committed.
}

TEST_F(ReplayEngineTest, UnreachedTargetIsReportedLikePostgres) {
  StopInfo s = replay(RecoveryTarget::at_name("no_such_point"));
  EXPECT_FALSE(s.reached);
  EXPECT_EQ(s.reason, "recovery ended before configured recovery target was reached");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}, {1, 4}, {2, 5}}));
  EXPECT_FALSE(replay(RecoveryTarget::at_xid(999, true)).reached);
  EXPECT_FALSE(replay(RecoveryTarget::at_time(5000, true)).reached);
}

TEST_F(ReplayEngineTest, ImmediateStopsAtTheBackupEndRecord) {
  StopInfo s = replay(RecoveryTarget::immediate());
  EXPECT_TRUE(s.after);
  EXPECT_EQ(s.lsn, records_[12].lsn);
  EXPECT_EQ(s.reason, "recovery stopping after reaching consistency");
  EXPECT_EQ(keys(), (std::set<Key>{{1, 3}}));
}

TEST_F(ReplayEngineTest, ImmediateStopsAtAConsistencyLsn) {
  StopInfo s = replay(RecoveryTarget::immediate(records_[2].end_lsn));
  EXPECT_EQ(s.lsn, records_[2].lsn);
  EXPECT_EQ(keys(), (std::set<Key>{{1, 1}, {2, 7}}));
}

TEST_F(ReplayEngineTest, ReplayUpToAnLsnThenContinueLikeAStandby) {
  ReplayEngine engine(&store_);
  WalReader reader(&wal_, Lsn{256});
  EXPECT_EQ(engine.replay(reader, records_[3].lsn), ReplayStop::kUpTo);
  EXPECT_EQ(engine.replay_lsn(), records_[3].lsn);
  EXPECT_EQ(engine.commits_applied(), 1u);
  EXPECT_EQ(engine.last_commit_xid(), 100u);
  EXPECT_EQ(engine.replay(reader), ReplayStop::kEndOfWal);
  writer_.insert(105, 1, 9, "x");
  EXPECT_EQ(engine.replay(reader), ReplayStop::kEndOfWal);
  EXPECT_EQ(engine.open_transactions(), 1u);
  writer_.commit(105, 5000);
  EXPECT_EQ(engine.replay(reader), ReplayStop::kEndOfWal);
  EXPECT_EQ(engine.last_commit_time_us(), 5000);
  EXPECT_EQ(store_.count(1), 3u);
}

// replay() buffers an open transaction's rows as pointers into the WAL segment while it runs;
// once it returns, the WAL may be overwritten or recycled (a standby's walreceiver, WAL
// recycling), and the transaction must still commit the rows it read.
TEST(ReplayEngineStandaloneTest, OpenTransactionKeepsItsRowsWhenTheWalChangesBetweenCalls) {
  SegmentStore complete, partial;
  WalWriter full_writer(&complete, Lsn{4096});
  const Appended insert = full_writer.insert(9, 1, 42, "original row");
  full_writer.insert(9, 2, 43, "second row");
  const Appended commit = full_writer.commit(9, 1000);
  partial.write(Lsn{4096}, complete.read(Lsn{4096}, commit.lsn.value - 4096));

  MemoryStore store;
  ReplayEngine engine(&store);
  WalReader first(&partial, Lsn{4096});
  EXPECT_EQ(engine.replay(first), ReplayStop::kEndOfWal);
  EXPECT_EQ(engine.open_transactions(), 1u);
  // Overwrite the records the pending changes were read from.
  partial.write(Lsn{4096}, std::string(commit.lsn.value - 4096, 'x'));

  WalReader rest(&complete, commit.lsn, engine.last_record_lsn());
  EXPECT_EQ(engine.replay(rest), ReplayStop::kEndOfWal);
  std::string row;
  ASSERT_TRUE(store.get(1, 42, &row).ok());
  EXPECT_EQ(row, "original row");
  ASSERT_TRUE(store.get(2, 43, &row).ok());
  EXPECT_EQ(row, "second row");
  EXPECT_EQ(insert.lsn, Lsn{4096});
}

// The engine finds a change's transaction in a table indexed by the xid's low bits; xids that
// share an entry while both are open go to an overflow map. Here many transactions are open at
// once, most of them sharing entries (xids 256 apart), they interleave, and some end while others
// that share their entry are still open, one of them ending and its xid's entry being reused
// before an overflowed transaction writes again: each must keep exactly its own changes.
TEST(ReplayEngineStandaloneTest, TransactionsWhoseXidsShareATableEntryKeepTheirOwnChanges) {
  SegmentStore wal;
  WalWriter w(&wal, Lsn{4096});
  std::vector<Xid> xids;
  for (Xid base : {1000u, 1001u}) {
    for (Xid k = 0; k < 6; ++k) xids.push_back(base + 256 * k);
  }
  for (size_t round = 0; round < 3; ++round) {
    for (size_t i = 0; i < xids.size(); ++i) {
      w.insert(xids[i], 1, 100 * i + round, "row " + std::to_string(i) + "/" + std::to_string(round));
    }
    if (round == 0) {
      w.commit(xids[0], 10);  // Frees the entry 1000 sat in; 1256... are in the overflow map.
      w.abort(xids[6], 11);   // Same for 1001.
    }
  }
  for (size_t i = 1; i < xids.size(); ++i) {
    if (i == 6) continue;
    if (i % 3 == 0) {
      w.abort(xids[i], 20 + static_cast<int64_t>(i));
    } else {
      w.commit(xids[i], 20 + static_cast<int64_t>(i));
    }
  }
  MemoryStore store;
  ReplayEngine engine(&store);
  WalReader reader(&wal, Lsn{4096});
  ASSERT_EQ(engine.replay(reader), ReplayStop::kEndOfWal);
  // Rounds 1 and 2 of xids[0] and xids[6] came after their ends: new transactions with the same
  // xid (nothing stops a WAL from reusing one after wraparound), still open at the end.
  EXPECT_EQ(engine.open_transactions(), 2u);
  // Transaction 0 committed its first change only; 6 aborted; of the rest, those with i % 3 == 0
  // aborted and the others committed all three rounds.
  std::set<uint64_t> expected = {0};
  for (size_t i = 1; i < xids.size(); ++i) {
    if (i == 6 || i % 3 == 0) continue;
    for (uint64_t round = 0; round < 3; ++round) expected.insert(100 * i + round);
  }
  std::set<uint64_t> got;
  (void)store.for_each(1, [&](uint64_t k, std::string_view row) {
    got.insert(k);
    EXPECT_EQ(row, "row " + std::to_string(k / 100) + "/" + std::to_string(k % 100));
  });
  EXPECT_EQ(got, expected);
  EXPECT_EQ(engine.commits_applied(), 1u + 8u);  // xids[0], then i = 1, 2, 4, 5, 7, 8, 10, 11.
}

TEST(FormatTimestampTest, PrintsLikePostgresTimestamptzToStr) {
  EXPECT_EQ(format_timestamp_us(0), "1970-01-01 00:00:00+00");
  EXPECT_EQ(format_timestamp_us(1764081224500000), "2025-11-25 14:33:44.5+00");
  EXPECT_EQ(format_timestamp_us(951782400123456), "2000-02-29 00:00:00.123456+00");
  EXPECT_EQ(format_timestamp_us(-1), "1969-12-31 23:59:59.999999+00");
}

}  // namespace
}  // namespace replsim::wal
