#include "sim/sync_rep.h"

#include <algorithm>

#include "vocab/assert.h"

namespace replsim::sim {
namespace {

// SyncRepGetCandidateStandbys: streaming walsenders with a priority and a valid flush
// position. With FIRST (priority), only the num_sync best by (priority, slot) are sync.
// `reverse_ties`: equal priorities in reverse slot order.
std::vector<size_t> candidates(const StandbyNames& names, const std::vector<WalSenderView>& ws, bool reverse_ties) {
  std::vector<size_t> out;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (!ws[i].streaming || !ws[i].has_feedback) continue;
    if (names.priority_of(ws[i].application_name) == 0) continue;
    out.push_back(i);
  }
  if (names.method == StandbyNames::Method::kQuorum) return out;
  if (reverse_ties) std::reverse(out.begin(), out.end());
  std::stable_sort(out.begin(), out.end(), [&](size_t a, size_t b) {
    return names.priority_of(ws[a].application_name) < names.priority_of(ws[b].application_name);
  });
  if (out.size() > static_cast<size_t>(names.num_sync)) out.resize(static_cast<size_t>(names.num_sync));
  std::sort(out.begin(), out.end());
  return out;
}

// The num_sync-th highest of `positions` (SyncRepGetNthLatestSyncRecPtr).
Lsn nth_latest(std::vector<Lsn> positions, int num_sync) {
  std::sort(positions.begin(), positions.end(), std::greater<>());
  return positions[static_cast<size_t>(num_sync - 1)];
}

}  // namespace

bool ties_decide(const StandbyNames& names, const std::vector<WalSenderView>& ws) {
  REPLSIM_ASSERT(names.enabled(), "sync rep decisions need synchronous_standby_names");
  if (names.method == StandbyNames::Method::kQuorum) return false;
  // The common case first, cheaply (this runs on every standby reply): no two candidates share
  // a priority, so no order of ties can matter.
  bool tie = false;
  for (size_t i = 0; i < ws.size() && !tie; ++i)
    for (size_t j = i + 1; j < ws.size() && !tie; ++j) {
      const int p = names.priority_of(ws[i].application_name);
      tie = p != 0 && p == names.priority_of(ws[j].application_name);
    }
  return tie && candidates(names, ws, false) != candidates(names, ws, true);
}

SyncRepDecision decide_sync_rep(const StandbyNames& names, const std::vector<WalSenderView>& ws, bool reverse_ties) {
  REPLSIM_ASSERT(names.enabled(), "sync rep decisions need synchronous_standby_names");
  SyncRepDecision d;
  d.sync_standbys = candidates(names, ws, reverse_ties);
  const bool quorum = names.method == StandbyNames::Method::kQuorum;
  for (size_t i = 0; i < ws.size(); ++i) {
    const bool chosen = std::find(d.sync_standbys.begin(), d.sync_standbys.end(), i) != d.sync_standbys.end();
    if (names.priority_of(ws[i].application_name) == 0) d.sync_state.push_back("async");
    else if (chosen) d.sync_state.push_back(quorum ? "quorum" : "sync");
    else d.sync_state.push_back("potential");
  }
  if (d.sync_standbys.size() < static_cast<size_t>(names.num_sync)) return d;
  d.can_release = true;
  std::vector<Lsn> write, flush, apply;
  for (size_t i : d.sync_standbys) {
    write.push_back(ws[i].write_lsn);
    flush.push_back(ws[i].flush_lsn);
    apply.push_back(ws[i].apply_lsn);
  }
  if (quorum) {
    d.write_lsn = nth_latest(write, names.num_sync);
    d.flush_lsn = nth_latest(flush, names.num_sync);
    d.apply_lsn = nth_latest(apply, names.num_sync);
  } else {
    d.write_lsn = *std::min_element(write.begin(), write.end());
    d.flush_lsn = *std::min_element(flush.begin(), flush.end());
    d.apply_lsn = *std::min_element(apply.begin(), apply.end());
  }
  return d;
}

namespace {

// Of a write, a flush and an apply position, the one a commit at `level` waits for
// (syncrep.c SyncRepWaitForLSN's mode: SYNC_REP_WAIT_WRITE, _FLUSH or _APPLY).
Lsn position_for(SyncCommit level, Lsn write, Lsn flush, Lsn apply) {
  switch (level) {
    case SyncCommit::kRemoteWrite: return write;
    case SyncCommit::kOn: return flush;
    case SyncCommit::kRemoteApply: return apply;
    case SyncCommit::kOff:
    case SyncCommit::kLocal: REPLSIM_ASSERT(false, "only remote_write, on and remote_apply wait for standbys");
  }
  return Lsn{};
}

}  // namespace

Lsn release_position(const SyncRepDecision& d, SyncCommit level) {
  return position_for(level, d.write_lsn, d.flush_lsn, d.apply_lsn);
}

std::vector<size_t> confirmed_by(const SyncRepDecision& d, const std::vector<WalSenderView>& ws, SyncCommit level,
                                 Lsn lsn) {
  std::vector<size_t> out;
  for (size_t i : d.sync_standbys) {
    REPLSIM_ASSERT(i < ws.size(), "the decision was made from these walsenders");
    if (position_for(level, ws[i].write_lsn, ws[i].flush_lsn, ws[i].apply_lsn) >= lsn) out.push_back(i);
  }
  return out;
}

bool commit_waits_for_standbys(SyncCommit level, const StandbyNames& names) {
  return names.enabled() &&
         (level == SyncCommit::kRemoteWrite || level == SyncCommit::kOn || level == SyncCommit::kRemoteApply);
}

}  // namespace replsim::sim
