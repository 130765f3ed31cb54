// Synchronous replication as syncrep.c (PostgreSQL 15) decides it: which walsenders are
// the synchronous standbys (SyncRepGetCandidateStandbys), what pg_stat_replication shows
// as sync_state, and up to which write/flush/apply positions waiting commits may be
// released (SyncRepGetSyncRecPtr). Pure functions of the walsenders' state: no world.
#pragma once

#include <string>
#include <vector>

#include "vocab/lsn.h"
#include "vocab/scenario.h"
#include "vocab/standby_names.h"

namespace replsim::sim {

// One walsender as the primary sees it (its slot in the WalSnd array is its index in the
// vector passed below, which is connection order).
struct WalSenderView {
  std::string application_name;
  bool streaming = false;               // State "streaming" (connected and past the start of replication).
  bool has_feedback = false;            // The standby has reported a valid flush position.
  Lsn write_lsn, flush_lsn, apply_lsn;  // As last reported by the standby.
};

struct SyncRepDecision {
  std::vector<std::string> sync_state;  // Per walsender: "async", "potential", "sync" or "quorum".
  std::vector<size_t> sync_standbys;    // Indexes of the chosen synchronous standbys.
  bool can_release = false;             // Enough synchronous standbys to release anybody (>= num_sync).
  Lsn write_lsn, flush_lsn, apply_lsn;  // Release positions when can_release.
};

// REQUIRES: names.enabled() (with synchronous replication off every commit is local).
// `reverse_ties`: standbys of equal priority in reverse slot order (TimingProfile::
// reverse_equal_priority); it matters only where ties_decide().
SyncRepDecision decide_sync_rep(const StandbyNames& names, const std::vector<WalSenderView>& walsenders,
                                bool reverse_ties = false);
// Whether the synchronous standbys depend on how ties of equal priority are broken (FIRST
// only: a quorum takes every candidate). REQUIRES: names.enabled().
bool ties_decide(const StandbyNames& names, const std::vector<WalSenderView>& walsenders);

// The position a commit at `level` waits for (write for remote_write, flush for on, apply
// for remote_apply). REQUIRES: level is remote_write, on or remote_apply.
Lsn release_position(const SyncRepDecision& decision, SyncCommit level);

// The synchronous standbys (indexes into `walsenders`) that confirmed a commit ending at `lsn`:
// those whose reported position for `level` has reached it. With FIRST every sync standby has
// (the release position is their minimum); with ANY only some of the quorum need have, and the
// others are still candidates, not confirmers. REQUIRES: level waits for standbys and
// `decision` was made from `walsenders`.
std::vector<size_t> confirmed_by(const SyncRepDecision& decision, const std::vector<WalSenderView>& walsenders,
                                 SyncCommit level, Lsn lsn);

// Whether a commit at `level` waits for standbys at all, given the standby names.
bool commit_waits_for_standbys(SyncCommit level, const StandbyNames& names);

}  // namespace replsim::sim
