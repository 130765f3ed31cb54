// FaultProxy: a TCP proxy per replication link (standby -> proxy -> primary), on its own
// thread inside the harness, that injects the network faults Toxiproxy offers. Needed
// because pausing a standby (SIGSTOP) does not partition it: the kernel's socket buffers
// still deliver whatever the walsender wrote, and the resumed standby has it (measured on
// PostgreSQL 15: docs/postgresql-notes.md, "Pausing a standby is not a partition").
//
// "to standby" is the primary-to-standby direction (WAL); "to primary" carries the
// standby's replies (write/flush/apply positions, i.e. synchronous-commit acks).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "vocab/status.h"

namespace replsim::harness {

struct LinkFaults {
  bool refuse_new = false;       // Accept and close new connections at once.
  bool hold_to_standby = false;  // Keep bytes from the primary; forward them on heal.
  bool hold_to_primary = false;  // Keep bytes from the standby; forward them on heal.
  int64_t latency_to_standby_us = 0;
  int64_t latency_to_primary_us = 0;
  int64_t bandwidth_bytes_per_s = 0;  // Each direction; 0 = unlimited.
};

class FaultProxy {
 public:
  FaultProxy();   // Starts the proxy thread.
  ~FaultProxy();  // Closes every connection and joins the thread.
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Listens on 127.0.0.1 (an ephemeral port, returned) and forwards to 127.0.0.1:upstream_port.
  Result<uint16_t> add_link(const std::string& link, uint16_t upstream_port);
  // The following apply before they return. Unknown links are ignored.
  void set_upstream(const std::string& link, uint16_t upstream_port);
  void set_faults(const std::string& link, const LinkFaults& faults);
  LinkFaults faults(const std::string& link);
  // Closes every connection of the link at once; held bytes are dropped.
  void reset(const std::string& link);
  int connections(const std::string& link);
  uint64_t bytes_forwarded(const std::string& link);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace replsim::harness
