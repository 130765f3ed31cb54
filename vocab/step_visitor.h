// visit_step: the one place that knows every step kind. Code that does something per kind of
// step (the checker, the simulator, the harness, the verifier's walks, the campaign's generator
// and writer, the HTML page) does it through a visitor with one member per kind:
//
//   struct Runner {
//     Status on_insert(const Step& step);
//     Status on_crash(const Step& step);
//     ...one on_<kind> for every StepKind...
//   };
//   Status s = visit_step(step, runner);
//
// Adding a StepKind means adding its case below; the compiler then sends you, with "no member
// named on_<kind>", to every visitor that must learn it (docs/architecture.md lists them). Every
// visitor member returns the same type. No visitor may have a catch-all: a kind that needs nothing
// says so in its own member.
#pragma once

#include "vocab/assert.h"
#include "vocab/scenario.h"

namespace replsim {

template <typename Visitor>
decltype(auto) visit_step(const Step& step, Visitor&& v) {
  switch (step.kind) {
    case StepKind::kInsert: return v.on_insert(step);
    case StepKind::kUpdate: return v.on_update(step);
    case StepKind::kDelete: return v.on_delete(step);
    case StepKind::kTruncate: return v.on_truncate(step);
    case StepKind::kMark: return v.on_mark(step);
    case StepKind::kCatchup: return v.on_catchup(step);
    case StepKind::kWait: return v.on_wait(step);
    case StepKind::kCheckLag: return v.on_check_lag(step);
    case StepKind::kCancel: return v.on_cancel(step);
    case StepKind::kPause: return v.on_pause(step);
    case StepKind::kResume: return v.on_resume(step);
    case StepKind::kPartition: return v.on_partition(step);
    case StepKind::kHeal: return v.on_heal(step);
    case StepKind::kCrash: return v.on_crash(step);
    case StepKind::kStop: return v.on_stop(step);
    case StepKind::kStart: return v.on_start(step);
    case StepKind::kWipe: return v.on_wipe(step);
    case StepKind::kPromote: return v.on_promote(step);
    case StepKind::kBaseBackup: return v.on_base_backup(step);
    case StepKind::kSwitchWal: return v.on_switch_wal(step);
    case StepKind::kRestorePoint: return v.on_restore_point(step);
    case StepKind::kRestore: return v.on_restore(step);
    case StepKind::kCheckpoint: return v.on_checkpoint(step);
    case StepKind::kNaiveCopy: return v.on_naive_copy(step);
    case StepKind::kBreakArchive: return v.on_break_archive(step);
    case StepKind::kRepairArchive: return v.on_repair_archive(step);
    case StepKind::kStallDisk: return v.on_stall_disk(step);
    case StepKind::kOsCrash: return v.on_os_crash(step);
    case StepKind::kTerminate: return v.on_terminate(step);
    case StepKind::kPauseReplay: return v.on_pause_replay(step);
    case StepKind::kResumeReplay: return v.on_resume_replay(step);
    case StepKind::kReload: return v.on_reload(step);
    case StepKind::kBegin: return v.on_begin(step);
    case StepKind::kCommit: return v.on_commit(step);
    case StepKind::kRollback: return v.on_rollback(step);
  }
  ::replsim::assert_fail("step.kind", __FILE__, __LINE__, "a Step whose kind is no StepKind");
}

}  // namespace replsim
