// Helpers shared by the replay core's tests: a small WAL with one of every record type.
#pragma once

#include <vector>

#include "sim/wal/row_image.h"
#include "sim/wal/wal_writer.h"

namespace replsim::wal::testing {

// Writes a few transactions of every record type (no kSwitch) and returns where each went.
inline std::vector<Appended> write_sample_wal(WalWriter* w) {
  std::vector<Appended> a;
  const TableId both[] = {1, 2};
  a.push_back(w->insert(100, 1, 1, encode_row(std::vector<std::string>{"1", "Johnson", "10.00"})));
  a.push_back(w->insert(100, 2, 7, encode_row(std::vector<std::string>{"7", "Smith", "3.50"})));
  a.push_back(w->commit(100, 1000));
  a.push_back(w->checkpoint(a[0].lsn, 1500));
  a.push_back(w->update(101, 1, 1, encode_row(std::vector<std::string>{"1", "Johnson", "99.00"})));
  a.push_back(w->erase(101, 2, 7));
  a.push_back(w->abort(101, 2000));
  a.push_back(w->backup_start(a[3].lsn));
  a.push_back(w->truncate(102, both));
  a.push_back(w->restore_point("before_load", 2500));
  a.push_back(w->insert(102, 1, 3, encode_row(std::vector<std::string>{"3", "Garcia", "7.25"})));
  a.push_back(w->commit(102, 3000));
  a.push_back(w->backup_end(a[7].lsn));
  a.push_back(w->insert(103, 1, 4, encode_row(std::vector<std::string>{"4", "Nguyen", "1.00"})));
  a.push_back(w->commit(103, 3000));
  a.push_back(w->insert(104, 2, 5, encode_row(std::vector<std::string>{"5", "Okafor", "2.00"})));
  a.push_back(w->commit(104, 4000));
  return a;
}

}  // namespace replsim::wal::testing
