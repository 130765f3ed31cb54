// Named sessions on the real cluster: one libpq connection per session, opened by `begin` and
// held across steps; its statements run on it with parameters; `commit` ends it as a write
// step's commit ends (it may block on synchronous replication); `rollback` ends it.
// sim/session.cc models the same steps.
#include <fmt/format.h>

#include "harness/runner.h"

namespace replsim::harness {
namespace {

// The statement of an insert in a session: identifiers from the data set, values as $n.
std::string session_insert_sql(const TableSpec& t, const std::vector<std::string>& sets, const std::string& /*where*/,
                               const Step& /*st*/) {
  std::vector<std::string> ph;
  for (size_t i = 1; i <= sets.size(); ++i) ph.push_back(fmt::format("${}", i));
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", t.name, fmt::join(sets, ", "), fmt::join(ph, ", "));
}

}  // namespace

Status Runner::on_begin(const Step& st) {
  ClusterNode* n = node_or_primary(st.node);
  const std::string process = fmt::format("client-{}", step_index_);
  h_.transactions.push_back(invoke_tx(st, n, process));
  const TxRecord& tx = h_.transactions.back();
  Session& s = sessions_[st.label];
  s.tx = h_.transactions.size() - 1;
  if (n == nullptr || !n->server->running() || n->server->paused()) {
    s.lost = fmt::format("could not connect to {}: it is not running", tx.node);
    note(fmt::format("{}: {}", st.label, s.lost));
    return Status::Ok();
  }
  auto conn = c_.connect(*n, 2000);
  if (!conn.ok()) {
    s.lost = conn.status().message();
    note(fmt::format("{}: {}", st.label, s.lost));
    return Status::Ok();
  }
  PgReply r = (*conn)->exec("BEGIN", {}, opt_.statement_timeout_ms);
  if (!r.ok) {
    s.lost = r.error;
    note(fmt::format("{}: BEGIN failed: {}", st.label, r.error));
    return Status::Ok();
  }
  s.conn = std::move(*conn);
  note(fmt::format("{} began on {}", st.label, tx.node));
  return Status::Ok();
}

// An error aborts the transaction (PostgreSQL answers 25P02 to what follows until the block
// ends); a statement not back in time is given up with its connection, as a write step's is.
void Runner::session_statement(const Step& st) {
  Session& s = sessions_.at(st.session);
  if (s.conn == nullptr) return note(fmt::format("{}: not run: {}", st.label, s.lost));
  std::vector<std::string> params;
  auto sql = write_sql(st, &session_insert_sql, &params);
  if (!sql.ok()) return note(fmt::format("{}: {}", st.label, sql.status().message()));
  PgReply r = s.conn->exec(*sql, params, opt_.statement_timeout_ms);
  if (r.ok) return note(fmt::format("{} ran in {}, not yet committed", st.label, st.session));
  if (r.timed_out || r.connection_lost || s.conn->broken()) {
    s.lost = r.timed_out ? fmt::format("no result after {} ms: the connection was given up", opt_.statement_timeout_ms)
                         : fmt::format("connection lost: {}", r.error);
    s.conn.reset();
    return note(fmt::format("{}: {}", st.label, s.lost));
  }
  refused(r);
  if (s.aborted.empty()) s.aborted = r.error;
  note(fmt::format("{} failed; the transaction of {} is aborted", st.label, st.session));
}

void Runner::end_session_tx(Session& s, TxOutcome outcome, const std::string& why) {
  TxRecord& tx = h_.transactions[s.tx];
  tx.outcomes = {outcome};
  tx.detail = why;
  event(EventType::kFail, fmt::format("client-{}", tx.step), tx.node, tx.label, why).xid = tx.xid;
  note(fmt::format("{}: {}", tx.label, why));
  s.conn.reset();
}

Status Runner::on_commit(const Step& st) {
  Session& s = sessions_.at(st.label);
  TxRecord& tx = h_.transactions[s.tx];
  tx.step = step_index_;
  if (s.conn == nullptr) {
    end_session_tx(s, TxOutcome::kFailed, s.lost);
    return Status::Ok();
  }
  const int64_t t = opt_.statement_timeout_ms;
  if (!s.aborted.empty()) {  // COMMIT of an aborted transaction answers ROLLBACK.
    (void)s.conn->exec("COMMIT", {}, t);
    end_session_tx(s, TxOutcome::kFailed, "COMMIT rolled back a transaction an error aborted: " + s.aborted);
    return Status::Ok();
  }
  PgReply r = s.conn->exec(fmt::format("INSERT INTO {} (label) VALUES ($1)", kTxMarkerTable), {st.label}, t);
  if (r.ok) r = s.conn->exec("SELECT pg_current_xact_id()::xid::text", {}, t);
  if (!r.ok) {
    if (r.connection_lost || s.conn->broken() || r.timed_out) {
      end_session_tx(s, TxOutcome::kFailed, "its connection was lost when the server ended");
      return Status::Ok();
    }
    refused(r);
    (void)s.conn->exec("COMMIT", {}, t);
    end_session_tx(s, TxOutcome::kFailed, r.error);
    return Status::Ok();
  }
  tx.xid = static_cast<Xid>(std::stoul(r.at(0, 0)));
  ClusterNode* n = c_.node(tx.node);
  Pending p{s.tx, std::move(s.conn)};
  if (Status sent = p.conn->send("COMMIT"); !sent.ok()) {
    resolve(p, PgReply{false, sent.message(), "", true, false, {}});
    return Status::Ok();
  }
  PgReply reply = p.conn->wait(opt_.block_after_ms);
  if (reply.timed_out) {
    block(std::move(p), n, fmt::format("client-{}", tx.step));
    return Status::Ok();
  }
  resolve(p, reply);
  return Status::Ok();
}

Status Runner::on_rollback(const Step& st) {
  Session& s = sessions_.at(st.label);
  h_.transactions[s.tx].step = step_index_;
  if (s.conn == nullptr) {
    end_session_tx(s, TxOutcome::kFailed, s.lost);
    return Status::Ok();
  }
  PgReply r = s.conn->exec("ROLLBACK", {}, opt_.statement_timeout_ms);
  const bool lost = !r.ok && (r.connection_lost || s.conn->broken());
  end_session_tx(s, TxOutcome::kFailed, lost ? "its connection was lost when the server ended" : "rolled back");
  return Status::Ok();
}

}  // namespace replsim::harness
