#include "harness/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "harness/interrupt.h"

namespace replsim::harness {

using Clock = std::chrono::steady_clock;

namespace {

// Waits until the socket is readable/writable, the deadline passes or a signal arrives.
// Short slices keep SIGINT/SIGTERM noticed within milliseconds.
bool wait_socket(PGconn* conn, bool for_write, Clock::time_point deadline) {
  int fd = PQsocket(conn);
  if (fd < 0) return false;
  while (true) {
    if (interrupted() || Clock::now() >= deadline) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    struct pollfd p = {fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int r = poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left, 0, 20)));
    if (r > 0) return true;
  }
}

void on_notice(void* arg, const PGresult* res) {
  auto* notices = static_cast<std::vector<std::string>*>(arg);
  const char* msg = PQresultErrorMessage(res);
  if (notices->size() < 1000 && msg != nullptr) notices->emplace_back(msg);
}

}  // namespace

const std::string& PgReply::at(size_t row, size_t col) const {
  REPLSIM_ASSERT(ok && row < rows.size() && col < rows[row].size() && rows[row][col],
                 "PgReply::at out of range or NULL (check null_at first)");
  return *rows[row][col];
}

bool PgReply::null_at(size_t row, size_t col) const {
  return row >= rows.size() || col >= rows[row].size() || !rows[row][col];
}

Status PgReply::status() const {
  if (ok) return Status::Ok();
  if (timed_out) return Status::Timeout(error);
  return Status::Failed(sqlstate.empty() ? error : fmt::format("{} (SQLSTATE {})", error, sqlstate));
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const ConnTarget& target, int64_t timeout_ms,
                                                            const std::string& application_name) {
  const std::string port = std::to_string(target.port);
  const char* keys[] = {"host", "port", "user", "dbname", "application_name", "connect_timeout", nullptr};
  const char* values[] = {target.host.c_str(),
                          port.c_str(),
                          target.user.c_str(),
                          target.dbname.c_str(),
                          application_name.c_str(),
                          "5",
                          nullptr};
  PGconn* conn = PQconnectStartParams(keys, values, 0);
  if (conn == nullptr) return Status::IoError("libpq: out of memory");
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    if (!wait_socket(conn, st == PGRES_POLLING_WRITING, deadline)) {
      PQfinish(conn);
      return Status::Timeout(
          fmt::format("connecting to {}:{} {}", target.host, target.port, interrupted() ? "interrupted" : "timed out"));
    }
    st = PQconnectPoll(conn);
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return Status::IoError(fmt::format("connecting to port {}: {}", target.port, msg));
  }
  PQsetnonblocking(conn, 1);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::PgConnection(PGconn* conn) : conn_(conn), notices_(std::make_unique<std::vector<std::string>>()) {
  PQsetNoticeReceiver(conn_, on_notice, notices_.get());
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<std::string> PgConnection::scram_verifier(const std::string& user, const std::string& password) {
  char* v = PQencryptPasswordConn(conn_, password.c_str(), user.c_str(), "scram-sha-256");
  if (v == nullptr) return Status::Failed(fmt::format("PQencryptPasswordConn: {}", PQerrorMessage(conn_)));
  std::string verifier(v);
  PQfreemem(v);
  return verifier;
}

int PgConnection::backend_pid() const { return PQbackendPID(conn_); }
bool PgConnection::broken() const { return PQstatus(conn_) == CONNECTION_BAD; }

Status PgConnection::send(const std::string& sql, const std::vector<std::string>& params) {
  REPLSIM_ASSERT(!busy_, "PgConnection::send while a statement is in flight");
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr,
                        0) == 0) {
    return Status::IoError(PQerrorMessage(conn_));
  }
  busy_ = true;
  reply_ = PgReply{};
  reply_.ok = true;
  return Status::Ok();
}

PgReply PgConnection::wait(int64_t timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (busy_) {
    int flushed = PQflush(conn_);
    if (flushed < 0 || PQconsumeInput(conn_) == 0) {
      reply_.ok = false;
      reply_.connection_lost = true;
      if (reply_.error.empty()) reply_.error = PQerrorMessage(conn_);
      busy_ = false;
      break;
    }
    while (!PQisBusy(conn_)) {
      PGresult* res = PQgetResult(conn_);
      if (res == nullptr) {
        busy_ = false;
        break;
      }
      ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_TUPLES_OK) {
        for (int r = 0; r < PQntuples(res); ++r) {
          auto& row = reply_.rows.emplace_back();
          for (int c = 0; c < PQnfields(res); ++c) {
            if (PQgetisnull(res, r, c)) row.emplace_back(std::nullopt);
            else row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
          }
        }
      } else if (st != PGRES_COMMAND_OK && st != PGRES_EMPTY_QUERY) {
        reply_.ok = false;
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        reply_.sqlstate = state != nullptr ? state : "";
        reply_.error = PQresultErrorMessage(res);
      }
      PQclear(res);
    }
    if (!busy_) break;
    if (PQstatus(conn_) == CONNECTION_BAD) {
      reply_.ok = false;
      reply_.connection_lost = true;
      busy_ = false;
      break;
    }
    if (!wait_socket(conn_, flushed == 1, deadline)) {
      PgReply pending;
      pending.timed_out = true;
      pending.error = interrupted() ? "interrupted" : fmt::format("no result after {} ms", timeout_ms);
      return pending;
    }
  }
  if (PQstatus(conn_) == CONNECTION_BAD) {
    reply_.connection_lost = true;
    if (reply_.ok) {
      reply_.ok = false;
      reply_.error = PQerrorMessage(conn_);
    }
  }
  while (!reply_.error.empty() && reply_.error.back() == '\n') reply_.error.pop_back();
  return reply_;
}

PgReply PgConnection::exec(const std::string& sql, const std::vector<std::string>& params, int64_t timeout_ms) {
  Status s = send(sql, params);
  if (!s.ok()) {
    PgReply r;
    r.error = s.message();
    r.connection_lost = broken();
    return r;
  }
  return wait(timeout_ms);
}

Status PgConnection::cancel() {
  PGcancel* c = PQgetCancel(conn_);
  if (c == nullptr) return Status::Failed("no cancel handle");
  char err[256] = {};
  int ok = PQcancel(c, err, sizeof err);
  PQfreeCancel(c);
  return ok != 0 ? Status::Ok() : Status::Failed(err);
}

}  // namespace replsim::harness
