// Replay control on the real cluster: pg_wal_replay_pause() and pg_wal_replay_resume() run on
// the standby over the harness's own connection (constant SQL: no scenario value reaches it).
// sim/replay_control.cc models the same steps (docs/model.md, "Replay control").
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "harness/interrupt.h"
#include "harness/runner.h"

namespace replsim::harness {
namespace {
constexpr auto kSettleLimit = std::chrono::seconds(1);
}  // namespace

// The function returns once the pause is requested; the startup process confirms it at its
// next look (ConfirmRecoveryPaused). The step waits (up to 1 s) until it has, so the step ends
// with replay stopped, as the model has it at once.
Status Runner::on_pause_replay(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  ClusterNode* n = c_.node(st.node);
  PgReply r = observe(n, "SELECT pg_wal_replay_pause()");
  if (!r.ok) {
    refused(r);  // On a primary: ERROR "recovery is not in progress" (55000).
    note(fmt::format("pause_replay: {}", r.error));
    return Status::Ok();
  }
  const auto deadline = Clock::now() + kSettleLimit;
  for (int sleep_us = 200; Clock::now() < deadline; sleep_us = std::min(sleep_us * 2, 10000)) {
    PgReply p = observe(n, "SELECT pg_get_wal_replay_pause_state(), pg_last_wal_replay_lsn()::text");
    if (p.ok && !p.null_at(0, 0) && p.at(0, 0) == "paused") {
      note(fmt::format("{}: replay paused at {}", n->name, p.null_at(0, 1) ? "?" : p.at(0, 1)));
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  note(fmt::format("{}: pause requested, not confirmed within 1 s", n->name));
  return Status::Ok();
}

// SetRecoveryPause(false) wakes the startup process, which replays what was flushed meanwhile.
// The step waits (up to 1 s) until replay has reached what the walreceiver flushed, as the model
// replays it at once.
Status Runner::on_resume_replay(const Step& st) {
  if (Status s = nemesis(st); !s.ok()) return s;
  ClusterNode* n = c_.node(st.node);
  if (n->state == NodeState::kRestoring || !n->server || !n->server->running()) return resume_at_target(n);
  PgReply r = observe(n, "SELECT pg_wal_replay_resume()");
  if (!r.ok) {
    refused(r);  // On a primary: ERROR "recovery is not in progress" (55000).
    note(fmt::format("resume_replay: {}", r.error));
    return Status::Ok();
  }
  // Done when replay has reached what was received, or stands still over 5 ms: what was
  // received may end inside a record (the walsender sends up to the flush position, which can
  // lie mid-record), and replay waits for the rest of it (differential campaign, seed 4242,
  // run 166: two resumes of a standby cut off mid-record waited 1 s each, and its walreceiver
  // timed out meanwhile, as it did not in the model).
  const auto deadline = Clock::now() + kSettleLimit;
  std::string last_replay;
  auto last_change = Clock::now();
  for (int sleep_us = 200; Clock::now() < deadline; sleep_us = std::min(sleep_us * 2, 5000)) {
    PgReply p = observe(n,
                        "SELECT pg_last_wal_receive_lsn() IS NULL OR "
                        "pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()::text");
    if (!p.ok || p.rows.empty() || p.at(0, 0) == "t") return Status::Ok();
    const std::string replay = p.null_at(0, 1) ? "" : p.at(0, 1);
    if (replay != last_replay) {
      last_replay = replay;
      last_change = Clock::now();
    } else if (Clock::now() - last_change >= std::chrono::milliseconds(5)) {
      return Status::Ok();
    }
    poll_pending();
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  note(fmt::format("{}: replay resumed, not caught up with what it received within 1 s", n->name));
  return Status::Ok();
}

// pg_wal_replay_resume() on a restored node paused at its recovery target: PostgreSQL ends
// recovery and promotes it (xlogrecovery.c, PerformWalRecovery: the pause action "drops into
// promote"). The step waits (up to the restore timeout) until the server is out of recovery, as
// the model promotes it at once. A restore that never reached its target is down: nothing to do.
Status Runner::resume_at_target(ClusterNode* n) {
  if (!n->server || !n->server->running()) {
    note(fmt::format("{} is not running: nothing resumes", n->name));
    return Status::Ok();
  }
  PgReply r = observe(n, "SELECT pg_wal_replay_resume()");
  if (!r.ok) {
    refused(r);
    note(fmt::format("resume_replay: {}", r.error));
    return Status::Ok();
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(opt_.restore_timeout_ms);
  for (int sleep_us = 500; Clock::now() < deadline; sleep_us = std::min(sleep_us * 2, 20000)) {
    PgReply p = observe(n, "SELECT pg_is_in_recovery()");
    if (p.ok && !p.rows.empty() && p.at(0, 0) == "f") {
      n->state = NodeState::kPrimary;
      note(fmt::format("{}: replay resumed at the recovery target; recovery ended and it promoted", n->name));
      return Status::Ok();
    }
    if (interrupted()) return Status::Interrupted("interrupted");
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  }
  return Status::Timeout(
      fmt::format("{} did not end recovery within {} ms of pg_wal_replay_resume()", n->name, opt_.restore_timeout_ms));
}

}  // namespace replsim::harness
