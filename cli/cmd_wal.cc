// `replsim wal dump FILE|DIR [--stats] [--json]`: prints records the way pg_waldump does.
// `replsim wal generate DIR --records N --seed S`: writes a deterministic, realistic WAL to dump.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_conventions.h"
#include "cli/command.h"
#include "sim/wal/segment_store.h"
#include "sim/wal/wal_generator.h"
#include "sim/wal/wal_reader.h"
#include "sim/wal/wal_salvage.h"
#include "storage/segment_files.h"

namespace replsim::cli {
namespace {

using wal::Record;
using wal::SegmentStore;

struct DumpOptions {
  std::string path;
  bool stats = false;
  bool json = false;
  uint64_t segment_size = wal::kDefaultSegmentSize;
};

struct TypeStats {
  uint64_t count = 0;
  uint64_t bytes = 0;
};

Result<SegmentStore> open_wal(const DumpOptions& o, std::vector<storage::ShortSegment>* short_segments) {
  std::error_code ec;
  if (std::filesystem::is_directory(o.path, ec)) return storage::load_segments(o.path, o.segment_size, short_segments);
  if (!std::filesystem::exists(o.path, ec))
    return Status::NotFound(fmt::format("{}: no such file or directory", o.path));
  return storage::load_segment_file(o.path, o.segment_size, short_segments);
}

// A truncated segment file as damage: the bytes it lacks.
wal::WalDamage truncation_damage(const storage::ShortSegment& s, uint64_t segment_size) {
  wal::WalDamage d;
  d.lsn = s.missing_from;
  d.resumed = s.segment_end;
  d.segment = s.file;
  d.offset = s.size;
  d.reason = fmt::format("segment file truncated: {} of {} bytes", s.size, segment_size);
  return d;
}

nlohmann::json damage_json(const wal::WalDamage& d) {
  return {{"segment", d.segment},
          {"lsn", d.lsn.to_string()},
          {"offset", d.offset},
          {"resumed", d.resumed.to_string()},
          {"skipped_bytes", d.resumed.value - d.lsn.value},
          {"reason", d.reason}};
}

// What a dump collects from the records it reads.
struct Dumped {
  std::map<std::string, TypeStats> stats;
  uint64_t records = 0, bytes = 0;
  Lsn end;
  nlohmann::json list = nlohmann::json::array();

  void add(const Record& r, const DumpOptions& o) {
    const uint64_t len = r.end_lsn.value - r.lsn.value;
    const std::string type(wal::record_type_name(r.type));
    ++records;
    bytes += len;
    end = r.end_lsn;
    auto& ts = stats[type];
    ++ts.count;
    ts.bytes += len;
    if (o.stats) return;
    if (o.json) {
      list.push_back({{"lsn", r.lsn.to_string()},
                      {"prev", r.prev_lsn.to_string()},
                      {"type", type},
                      {"len", len},
                      {"tx", r.xid},
                      {"desc", wal::describe_record(r)}});
    } else {
      std::printf("rmgr: %-11s len (rec/tot): %5u/%5llu, tx: %10u, lsn: %s, prev %s, desc: %s\n", type.c_str(),
                  static_cast<unsigned>(len), static_cast<unsigned long long>(len), r.xid, r.lsn.to_string().c_str(),
                  r.prev_lsn.to_string().c_str(), wal::describe_record(r).c_str());
    }
  }
};

// pg_waldump --stats: records and bytes per type, with their shares of the total.
void print_stats(const std::map<std::string, TypeStats>& stats, uint64_t records, uint64_t bytes) {
  std::printf("%-14s %10s %8s %14s %8s\n", "Type", "N", "(%)", "Bytes", "(%)");
  for (const auto& [type, s] : stats) {
    std::printf("%-14s %10llu (%6.2f) %14llu (%6.2f)\n", type.c_str(), static_cast<unsigned long long>(s.count),
                100.0 * static_cast<double>(s.count) / static_cast<double>(records),
                static_cast<unsigned long long>(s.bytes),
                100.0 * static_cast<double>(s.bytes) / static_cast<double>(bytes));
  }
  std::printf("%-14s %10llu %8s %14llu\n", "Total", static_cast<unsigned long long>(records), "",
              static_cast<unsigned long long>(bytes));
}

// Every readable record, in order; every unreadable region (a corrupt record, zeros where
// valid records follow, a truncated segment file) on stderr with its segment, offset and LSN,
// and in --json's "damage". Exit 0 for an intact WAL, 1 (a check failed) for a damaged one.
int dump(const DumpOptions& o) {
  std::vector<storage::ShortSegment> short_segments;
  auto store = open_wal(o, &short_segments);
  if (!store.ok()) {
    std::fprintf(stderr, "replsim wal dump: %s\n", store.status().message().c_str());
    return kExitBadInput;
  }
  Dumped d;
  std::optional<Lsn> first;
  std::vector<wal::WalDamage> damage = wal::salvage_records(
      *store, [&](const Record& r) { d.add(r, o); }, &first);
  if (!first) {
    std::fprintf(stderr, "replsim wal dump: no valid record in %s (from segment %s)\n", o.path.c_str(),
                 store->segment_name(store->oldest_lsn()).c_str());
    return kExitBadInput;
  }
  for (const auto& s : short_segments) damage.push_back(truncation_damage(s, store->segment_size()));
  std::stable_sort(damage.begin(), damage.end(), [](const auto& a, const auto& b) { return a.lsn < b.lsn; });
  for (const auto& x : damage) std::fprintf(stderr, "replsim wal dump: %s\n", x.to_string().c_str());
  const bool corrupt = !damage.empty();
  const std::string end = corrupt
                              ? fmt::format("WAL damaged: {} unreadable region(s), {} records read (last ends at {})",
                                            damage.size(), d.records, d.end.to_string())
                              : fmt::format("end of valid WAL at {}", d.end.to_string());
  const int rc = corrupt ? kExitCheckFailed : kExitOk;
  if (o.json) {
    nlohmann::json doc = {{"records", d.records}, {"bytes", d.bytes}, {"end", end}, {"corrupt", corrupt}};
    nlohmann::json per_type = nlohmann::json::object();
    for (const auto& [type, s] : d.stats) per_type[type] = {{"count", s.count}, {"bytes", s.bytes}};
    doc["stats"] = per_type;
    doc["damage"] = nlohmann::json::array();
    for (const auto& x : damage) doc["damage"].push_back(damage_json(x));
    if (!o.stats) doc["record_list"] = d.list;
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    if (o.stats) print_stats(d.stats, d.records, d.bytes);
    std::fprintf(rc == kExitOk ? stdout : stderr, "%s\n", end.c_str());
  }
  return rc;
}

struct GenerateOptions {
  std::string dir;
  uint64_t records = 1000;
  uint64_t seed = 1;
  uint64_t segment_size = wal::kDefaultSegmentSize;
};

int generate(const GenerateOptions& o) {
  if (!std::has_single_bit(o.segment_size) || o.segment_size < wal::kMinSegmentSize ||
      o.segment_size > wal::kMaxSegmentSize) {
    std::fprintf(stderr, "replsim wal generate: --segment-size must be a power of two in [%llu, %llu]\n",
                 static_cast<unsigned long long>(wal::kMinSegmentSize),
                 static_cast<unsigned long long>(wal::kMaxSegmentSize));
    return kExitBadInput;
  }
  SegmentStore store(o.segment_size);
  // Start a little into the first segment, after where initdb's records would be.
  wal::WalWriter writer(&store, Lsn{o.segment_size + 40});
  wal::GeneratorOptions g;
  g.seed = o.seed;
  const uint64_t n = wal::WalGenerator(g).generate(&writer, o.records);
  if (Status s = storage::save_segments(store, o.dir); !s.ok()) {
    std::fprintf(stderr, "replsim wal generate: %s\n", s.message().c_str());
    return kExitBadInput;
  }
  std::printf("wrote %llu records, %s..%s, %zu segment(s) to %s\n", static_cast<unsigned long long>(n),
              Lsn{o.segment_size + 40}.to_string().c_str(), writer.end_lsn().to_string().c_str(),
              store.segment_names().size(), o.dir.c_str());
  return kExitOk;
}

void add_wal_command(CLI::App& app, int& exit_code) {
  CLI::App* wal = app.add_subcommand("wal", "Inspect and generate replsim WAL (the replay core's log format)");
  wal->require_subcommand(1);
  add_exit_codes(wal, ExitCodes().ok("done").check_failed("wal dump: the WAL is damaged"));

  auto dump_options = std::make_shared<DumpOptions>();
  CLI::App* d = wal->add_subcommand(
      "dump",
      "Print WAL records like pg_waldump (FILE is one segment, DIR a pg_wal). Every unreadable record or region "
      "(bad CRC, impossible length, zeros before valid records, a truncated segment file) is reported on stderr "
      "with its segment, offset and LSN, and reading resumes at the next valid record. Exit 0: the WAL is intact; "
      "1: it is damaged; 2: bad input (not WAL, no valid record)");
  d->add_option("path", dump_options->path, "Segment file or directory of segments")->required()->type_name("FILE|DIR");
  d->add_flag("--stats", dump_options->stats, "Per-type record counts and bytes instead of records");
  d->add_flag("--json", dump_options->json, "Machine-readable output: one JSON document");
  whole_number_option(
      d->add_option("--segment-size", dump_options->segment_size,
                    "Segment size in bytes for a directory, or of a truncated segment file (default 16 MiB)"));
  add_exit_codes(d, ExitCodes()
                        .ok("the WAL is intact")
                        .check_failed("the WAL is damaged (each region on stderr)")
                        .bad_input("bad input: not WAL, no valid record, a missing path"));
  d->callback([dump_options, &exit_code] { exit_code = dump(*dump_options); });

  auto gen_options = std::make_shared<GenerateOptions>();
  CLI::App* g = wal->add_subcommand("generate",
                                    "Write a deterministic, realistic WAL (inserts, updates, deletes, "
                                    "commits, some aborts) as segment files");
  g->add_option("dir", gen_options->dir, "Directory to write segment files to")->required()->type_name("DIR");
  whole_number_option(g->add_option("--records", gen_options->records, "Approximate number of records"));
  whole_number_option(g->add_option("--seed", gen_options->seed, "Seed of the workload"));
  whole_number_option(
      g->add_option("--segment-size", gen_options->segment_size, "Segment size in bytes (default 16 MiB)"));
  add_exit_codes(g, ExitCodes().ok("written").bad_input("bad input: a bad --segment-size, a directory not writable"));
  g->callback([gen_options, &exit_code] { exit_code = generate(*gen_options); });
}

}  // namespace

REPLSIM_REGISTER_COMMAND(40, add_wal_command);

}  // namespace replsim::cli
