// Commits waiting for a synchronous standby are still in the procarray: later statements on
// their primary do not see them and wait for their locks (docs/model.md, "Commits waiting in
// the procarray"; scenarios/sync-wait-commit-is-invisible.yaml on real PostgreSQL).
#include <gtest/gtest.h>

#include "sim/executor.h"
#include "sim/waiting_commit.h"
#include "sim/wal/memory_store.h"
#include "sim/wal/row_image.h"
#include "sim_test_util.h"
#include "vocab/dataset.h"

namespace replsim::sim::testing {
namespace {

// FIRST 1 (r) with r cut off; s is an asynchronous standby that replays everything.
std::string blocked_on_r(const std::string& steps) {
  return scenario("r, s", "on", "FIRST 1 (r)", "  - catchup\n  - partition: r\n" + steps);
}

const char* kZoe = "  - insert: zoe\n    table: customers\n    values: {firstName: Zoe, lastName: Zimmer}\n";
const char* kRestock = "  - update: restock\n    table: products\n    set: {stock: 0}\n    where: {name: Mouse}\n";

int64_t rows(const Prediction& p, const std::string& node, const std::string& table) {
  const NodeFinal* n = p.find_node(node);
  if (n == nullptr || n->row_counts.count(table) == 0) return -1;
  return n->row_counts.at(table);
}

TEST(SyncWaitTest, AWaitingInsertIsInvisibleToLaterStatementsAndToRowCounts) {
  auto p = run_yaml(blocked_on_r(std::string(kZoe) +
                                 "  - insert: zoe_order\n    table: orders\n    values: {customerId: 7}\n"
                                 "  - delete: purge\n    table: customers\n    where: {lastName: Zimmer}\n"
                                 "  - catchup: s\n"));
  EXPECT_EQ(outcome(p, "zoe"), "blocked");
  EXPECT_EQ(outcome(p, "zoe_order"), "failed") << "its foreign key names a row still in progress";
  EXPECT_NE(p.find_tx("zoe_order")->detail.find("is not present in table \"customers\""), std::string::npos)
      << p.find_tx("zoe_order")->detail;
  EXPECT_EQ(outcome(p, "purge"), "blocked") << "it deleted nothing and then waited for r itself";
  EXPECT_EQ(presence(p, "p", "zoe"), "absent");
  EXPECT_EQ(rows(p, "p", "customers"), 6) << "count(*) on the primary does not see zoe";
  EXPECT_EQ(presence(p, "s", "zoe"), "present") << "a standby sees what it replayed";
  EXPECT_EQ(rows(p, "s", "customers"), 7) << "purge, run on a snapshot without zoe, deleted nothing";
}

TEST(SyncWaitTest, UpdatingARowAWaitingCommitUpdatedWaitsForItsLockAndFails) {
  auto p = run_yaml(blocked_on_r(std::string(kRestock) + "  - update: again\n    table: products\n    set: {stock: 1}\n"
                                                         "    where: {name: Mouse}\n"
                                                         "  - update: other\n    table: products\n    set: {stock: 1}\n"
                                                         "    where: {name: Laptop}\n"));
  EXPECT_EQ(outcome(p, "restock"), "blocked");
  EXPECT_EQ(outcome(p, "again"), "failed");
  EXPECT_NE(p.find_tx("again")->detail.find("held by restock"), std::string::npos) << p.find_tx("again")->detail;
  EXPECT_EQ(outcome(p, "other"), "blocked") << "another row: no lock wait, it commits and waits for r";
  // The client gave up after its statement timeout: the virtual clock moved on by it.
  EXPECT_GE(p.find_tx("other")->commit_time_us - p.find_tx("restock")->commit_time_us, kClientStatementTimeoutUs);
}

TEST(SyncWaitTest, AStatementWaitingForALockGoesOnWhenTheHolderIsReleasedWithinTheTimeout) {
  // After the heal, r reconnects within wal_retrieve_retry_interval: restock is released while
  // again waits for its row, and again then runs and commits.
  auto p = run_yaml(blocked_on_r(std::string(kRestock) + "  - heal: r\n" +
                                 "  - update: again\n    table: products\n    set: {stock: 1}\n"
                                 "    where: {name: Mouse}\n  - catchup\n"));
  EXPECT_EQ(outcome(p, "restock"), "acknowledged");
  EXPECT_EQ(outcome(p, "again"), "acknowledged");
  EXPECT_LT(p.find_tx("again")->commit_time_us - p.find_tx("restock")->commit_time_us, kClientStatementTimeoutUs);
  EXPECT_NE(all_notes(p).find("again goes on: restock left the procarray"), std::string::npos) << all_notes(p);
}

TEST(SyncWaitTest, DeletesAndForeignKeysWaitForTheLocksOfAWaitingCommit) {
  // waiting-item references order 4 (FOR KEY SHARE); drop-order deletes a row it deleted.
  auto p = run_yaml(
      blocked_on_r("  - insert: item\n    table: orderitems\n    values: {orderId: 4, productId: 1, quantity: 1}\n"
                   "  - delete: gone\n    table: orderitems\n    where: {orderId: 3}\n"
                   "  - delete: order4\n    table: orders\n    where: {id: 4}\n"
                   "  - update: order4_status\n    table: orders\n    set: {status: late}\n    where: {id: 4}\n"
                   "  - delete: order3\n    table: orders\n    where: {id: 3}\n"
                   "  - insert: item5\n    table: orderitems\n    values: {orderId: 1, productId: 5, quantity: 1}\n"));
  EXPECT_EQ(outcome(p, "item"), "blocked");
  EXPECT_EQ(outcome(p, "gone"), "blocked");
  EXPECT_EQ(outcome(p, "order4"), "failed") << "item's foreign-key check holds order 4 FOR KEY SHARE";
  EXPECT_NE(p.find_tx("order4")->detail.find("held by item"), std::string::npos) << p.find_tx("order4")->detail;
  EXPECT_EQ(outcome(p, "order4_status"), "blocked")
      << "a non-key update does not conflict with KEY SHARE (nor with order4's abandoned backend, which waits for "
         "item's transaction, not for the row)";
  EXPECT_EQ(outcome(p, "order3"), "failed") << "its RESTRICT check waits for the items gone deleted";
  EXPECT_NE(p.find_tx("order3")->detail.find("held by gone"), std::string::npos) << p.find_tx("order3")->detail;
  EXPECT_EQ(outcome(p, "item5"), "blocked");
}

TEST(SyncWaitTest, AForeignKeyToARowAWaitingCommitDeletedWaitsForIt) {
  // Frank (customer 6) has no orders: his delete commits and waits.
  auto p = run_yaml(
      blocked_on_r("  - delete: no_frank\n    table: customers\n    where: {id: 6}\n"
                   "  - insert: frank_order\n    table: orders\n    values: {customerId: 6}\n"));
  EXPECT_EQ(outcome(p, "no_frank"), "blocked");
  EXPECT_EQ(outcome(p, "frank_order"), "failed") << "FOR KEY SHARE of a row being deleted waits";
  EXPECT_NE(p.find_tx("frank_order")->detail.find("held by no_frank"), std::string::npos)
      << p.find_tx("frank_order")->detail;
  EXPECT_EQ(rows(p, "p", "customers"), 6) << "the delete is not seen either";
}

TEST(SyncWaitTest, AWaitingTruncateLocksItsTablesAndTheirCountsAreLeftOut) {
  auto p = run_yaml(
      blocked_on_r("  - truncate: wipe_items\n    table: orderitems\n"
                   "  - insert: item\n    table: orderitems\n    values: {orderId: 1, productId: 1, quantity: 1}\n"
                   "  - truncate: wipe_products\n    table: products\n    cascade: true\n"));
  EXPECT_EQ(outcome(p, "wipe_items"), "blocked");
  EXPECT_EQ(outcome(p, "item"), "failed") << "ACCESS EXCLUSIVE: the insert waits";
  EXPECT_EQ(outcome(p, "wipe_products"), "failed") << "CASCADE locks orderitems too";
  EXPECT_EQ(rows(p, "p", "orderitems"), -1) << "count(*) would wait for the lock";
  EXPECT_EQ(rows(p, "p", "products"), -1) << "the failed TRUNCATE is still queued for its lock";
  EXPECT_EQ(rows(p, "p", "customers"), 6);
}

TEST(SyncWaitTest, ReleasedOrCancelledCommitsAreVisibleAgain) {
  auto released = run_yaml(blocked_on_r(std::string(kZoe) + "  - heal: r\n  - catchup\n" +
                                        "  - insert: zoe_order\n    table: orders\n    values: {customerId: 7}\n"));
  EXPECT_EQ(outcome(released, "zoe"), "acknowledged");
  EXPECT_EQ(outcome(released, "zoe_order"), "acknowledged");
  EXPECT_EQ(rows(released, "p", "customers"), 7);
  auto cancelled = run_yaml(blocked_on_r(std::string(kZoe) + "  - cancel: zoe\n"));
  EXPECT_EQ(outcome(cancelled, "zoe"), "cancelled");
  EXPECT_EQ(presence(cancelled, "p", "zoe"), "present");
  EXPECT_EQ(rows(cancelled, "p", "customers"), 7);
  auto restarted = run_yaml(blocked_on_r(std::string(kZoe) + "  - crash: p\n  - start: p\n"));
  EXPECT_EQ(outcome(restarted, "zoe"), "in_doubt");
  EXPECT_EQ(rows(restarted, "p", "customers"), 7) << "crash recovery replays its flushed commit record";
}

TEST(SyncWaitTest, SnapshotViewUndoesTheWaitingChangesNewestFirst) {
  const Dataset& d = *find_dataset("seed");
  wal::MemoryStore store;
  const wal::TableId customers = table_id(d, "customers");
  store.put(customers, 1, wal::encode_row(std::vector<std::string>{"A", "B", ""}));
  store.put(customers, 2, wal::encode_row(std::vector<std::string>{"C", "D", ""}));
  ExecutionResult first;
  first.changes.push_back(
      {wal::RecordType::kUpdate, customers, 1, wal::encode_row(std::vector<std::string>{"X", "B", ""}), {}});
  first.changes.push_back(
      {wal::RecordType::kInsert, customers, 3, wal::encode_row(std::vector<std::string>{"N", "N", ""}), {}});
  const HeldByWaitingCommit held = held_by(d, store, first);
  store.put(customers, 1, first.changes[0].row);
  store.put(customers, 3, first.changes[1].row);
  store.erase(customers, 2);  // A committed, visible delete stays deleted.
  const auto view = snapshot_view(store, {&held});
  std::string row;
  ASSERT_TRUE(view->get(customers, 1, &row).ok());
  EXPECT_EQ(wal::row_column(row, 0).value_or(""), "A");
  EXPECT_FALSE(view->get(customers, 3, &row).ok());
  EXPECT_FALSE(view->get(customers, 2, &row).ok());
  EXPECT_EQ(held.updated.count({customers, 1}), 1u);
  EXPECT_EQ(store.count(customers), 2u);
}

// snapshot_view keeps undone rows by key instead of copying tables: it must read exactly like a
// copy of the store with the waiting commits' undo applied, newest first (its former form).
TEST(SyncWaitTest, SnapshotViewReadsLikeACopyWithTheUndoApplied) {
  const Dataset& d = *find_dataset("seed");
  const wal::TableId customers = table_id(d, "customers");
  const wal::TableId products = table_id(d, "products");
  auto row = [](const std::string& v) { return wal::encode_row(std::vector<std::string>{v, v, ""}); };
  wal::MemoryStore store;
  for (uint64_t k : {2, 4, 6, 8}) store.put(customers, k, row("c" + std::to_string(k)));
  for (uint64_t k : {1, 3}) store.put(products, k, row("p" + std::to_string(k)));
  // Older commit: updated 4, deleted 6, inserted 9. Newer: updated 4 again, inserted 1 and 10.
  HeldByWaitingCommit older, newer;
  older.undo = {{{customers, 4}, row("c4")}, {{customers, 6}, row("c6")}, {{customers, 9}, std::nullopt}};
  newer.undo = {{{customers, 4}, row("c4 older")}, {{customers, 1}, std::nullopt}, {{customers, 10}, std::nullopt}};
  store.put(customers, 4, row("c4 newer"));
  store.erase(customers, 6);
  for (uint64_t k : {1, 9, 10}) store.put(customers, k, row("new" + std::to_string(k)));
  wal::MemoryStore expected;  // The copy, undone newest first.
  for (wal::TableId t : {customers, products})
    (void)store.for_each(t, [&](uint64_t k, std::string_view r) { expected.put(t, k, r); });
  for (const HeldByWaitingCommit* h : {&newer, &older})
    for (auto u = h->undo.rbegin(); u != h->undo.rend(); ++u) {
      if (u->second) expected.put(u->first.first, u->first.second, *u->second);
      else expected.erase(u->first.first, u->first.second);
    }
  const auto view = snapshot_view(store, {&older, &newer});
  for (wal::TableId t : {customers, products}) {
    std::vector<std::pair<uint64_t, std::string>> seen, want;
    (void)view->for_each(t, [&](uint64_t k, std::string_view r) { seen.emplace_back(k, std::string(r)); });
    (void)expected.for_each(t, [&](uint64_t k, std::string_view r) { want.emplace_back(k, std::string(r)); });
    EXPECT_EQ(seen, want) << "table " << t;
    EXPECT_EQ(view->count(t), expected.count(t)) << "table " << t;
    for (uint64_t k = 0; k <= 11; ++k) {
      std::string a, b;
      const bool in_view = view->get(t, k, &a).ok(), in_expected = expected.get(t, k, &b).ok();
      EXPECT_EQ(in_view, in_expected) << "table " << t << " key " << k;
      if (in_view && in_expected) {
        EXPECT_EQ(a, b) << "table " << t << " key " << k;
      }
    }
  }
  std::string r;
  ASSERT_TRUE(view->get(customers, 4, &r).ok());
  EXPECT_EQ(wal::row_column(r, 0).value_or(""), "c4") << "the oldest before-image wins";
  EXPECT_EQ(view->count(customers), 4u);  // 2, 4, 6, 8.
}

}  // namespace
}  // namespace replsim::sim::testing
