#include "sim/wal/wal_generator.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "sim/wal/row_image.h"
#include "vocab/assert.h"

namespace replsim::wal {
namespace {
constexpr std::array<std::string_view, 8> kLastNames = {"Johnson", "Smith",  "Garcia",   "Nguyen",
                                                        "Okafor",  "Müller", "Kowalski", "Tanaka"};
}

WalGenerator::WalGenerator(GeneratorOptions options)
    : options_(options), state_(options.seed), now_us_(options.start_time_us), next_xid_(options.first_xid) {
  REPLSIM_ASSERT(options.tables >= 1 && options.keys_per_table >= 1 && options.max_open_transactions >= 1 &&
                     options.max_changes_per_transaction >= 1,
                 "generator options must allow at least one table, key, transaction and change");
}

uint64_t WalGenerator::next_random() {  // splitmix64: fixed algorithm, same numbers everywhere.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string WalGenerator::make_row(uint64_t key) {
  char id[24], amount[24];
  auto id_end = fmt::format_to(id, "{}", key);
  auto amount_end = fmt::format_to(amount, "{}.{:02}", uniform(100000), uniform(100));
  const std::array<std::string_view, 3> columns = {std::string_view(id, static_cast<size_t>(id_end - id)),
                                                   kLastNames[uniform(kLastNames.size())],
                                                   std::string_view(amount, static_cast<size_t>(amount_end - amount))};
  return encode_row(std::span<const std::string_view>(columns));
}

uint64_t WalGenerator::generate(WalWriter* w, uint64_t records) {
  uint64_t written = 0;
  while (written < records || !open_.empty()) {
    // Open a new transaction while under the limit (and while records are still wanted).
    if (written < records && (open_.empty() || (open_.size() < options_.max_open_transactions && uniform(4) == 0))) {
      open_.push_back(Open{next_xid_++, 1 + static_cast<uint32_t>(uniform(options_.max_changes_per_transaction))});
      if (next_xid_ < 3) next_xid_ = 3;  // Skip PostgreSQL's special xids on wraparound.
    }
    const size_t i = uniform(open_.size());
    Open& t = open_[i];
    now_us_ += static_cast<int64_t>(1 + uniform(2000));
    if (t.changes_left == 0 || written >= records) {
      if (uniform(100) < options_.abort_percent) {
        w->abort(t.xid, now_us_);
      } else {
        w->commit(t.xid, now_us_);
      }
      open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
      ++written;
      if (uniform(1000) == 0) {
        w->checkpoint(w->end_lsn(), now_us_);
        ++written;
      } else if (uniform(2000) == 0) {
        w->restore_point(fmt::format("rp{}", ++restore_points_), now_us_);
        ++written;
      }
      continue;
    }
    --t.changes_left;
    const TableId table = static_cast<TableId>(1 + uniform(options_.tables));
    const uint64_t key = uniform(options_.keys_per_table);
    const uint64_t kind = uniform(100);
    if (kind < 50) {
      w->insert(t.xid, table, key, make_row(key));
    } else if (kind < 85) {
      w->update(t.xid, table, key, make_row(key));
    } else {
      w->erase(t.xid, table, key);
    }
    ++written;
  }
  return written;
}

}  // namespace replsim::wal
