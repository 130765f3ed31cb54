// PgConnection: one libpq connection driven asynchronously, so that every wait is bounded,
// interruptible (SIGINT/SIGTERM), and a commit blocked on synchronous replication can be
// left waiting while the scenario goes on. Queries take parameters; no value is ever
// pasted into SQL text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vocab/status.h"

typedef struct pg_conn PGconn;

namespace replsim::harness {

// Where to connect: a unix socket directory (or 127.0.0.1) and a port.
struct ConnTarget {
  std::string host;
  uint16_t port = 0;
  std::string user = "postgres";
  std::string dbname = "postgres";
};

// What a statement returned: rows as text (nullopt = NULL), or an error.
struct PgReply {
  bool ok = false;
  std::string error;  // The server's or libpq's message.
  std::string sqlstate;
  bool connection_lost = false;  // The connection broke: the outcome of a COMMIT is unknown.
  bool timed_out = false;        // Still running when the wait ended (the statement goes on).
  std::vector<std::vector<std::optional<std::string>>> rows;

  const std::string& at(size_t row, size_t col) const;  // REQUIRES: ok, in range, not NULL.
  bool null_at(size_t row, size_t col) const;
  Status status() const;  // Ok, or the error as a Status.
};

class PgConnection {
 public:
  static Result<std::unique_ptr<PgConnection>> connect(const ConnTarget& target, int64_t timeout_ms,
                                                       const std::string& application_name = "replsim");
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Sends one statement with text parameters and waits up to `timeout_ms` for its result.
  // On timeout the reply says timed_out and the statement is still running (see wait()).
  PgReply exec(const std::string& sql, const std::vector<std::string>& params = {}, int64_t timeout_ms = 5000);
  // Starts a statement without waiting.
  Status send(const std::string& sql, const std::vector<std::string>& params = {});
  // Waits up to `timeout_ms` for the statement in flight (timed_out when still running).
  PgReply wait(int64_t timeout_ms);
  bool busy() const { return busy_; }
  // Asks the server to cancel the statement in flight (a client-side cancel request).
  Status cancel();

  // The SCRAM-SHA-256 verifier of `password` for `user` (PQencryptPasswordConn), computed here
  // so the password itself never travels in a statement or reaches a server log.
  Result<std::string> scram_verifier(const std::string& user, const std::string& password);

  int backend_pid() const;
  bool broken() const;
  // NOTICE/WARNING messages received so far, e.g. the sync-rep cancel warning.
  const std::vector<std::string>& notices() const { return *notices_; }

 private:
  explicit PgConnection(PGconn* conn);
  PGconn* conn_;
  bool busy_ = false;
  std::unique_ptr<std::vector<std::string>> notices_;
  PgReply reply_;  // Accumulates the results of the statement in flight.
};

}  // namespace replsim::harness
