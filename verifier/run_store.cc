#include "verifier/run_store.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <thread>

namespace replsim {
namespace {

constexpr const char* kFormat = "replsim.runs/1";
constexpr int kIdDigits = 8;
constexpr int64_t kLockRetryMs = 50;

Status convert(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(what + ": " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

bool lock_busy(const rocksdb::Status& s) {
  const std::string text = s.ToString();
  return s.IsIOError() && (text.find("lock") != std::string::npos || text.find("Lock") != std::string::npos);
}

// RocksDB writes an info LOG file beside the data unless given a logger: a reader must leave
// the directory as it found it.
class DiscardingLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

std::string repair_hint(const std::string& dir) {
  return fmt::format("if it is a damaged run store, `replsim runs repair --store {}` rebuilds it", dir);
}

// What `dir` holds: nothing yet (missing or empty), a store (it has RocksDB's CURRENT file), or
// something else (files but no CURRENT: not a store, or a store that lost its CURRENT).
enum class DirHolds { kNothing, kStore, kSomethingElse };
DirHolds what_dir_holds(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return DirHolds::kNothing;
  if (std::filesystem::is_regular_file(std::filesystem::path(dir) / "CURRENT", ec)) return DirHolds::kStore;
  if (std::filesystem::is_directory(dir, ec) && std::filesystem::is_empty(dir, ec)) return DirHolds::kNothing;
  return DirHolds::kSomethingElse;
}

Status refuse_non_store(const std::string& dir) {
  return Status::Corruption(
      fmt::format("{} is not a replsim run store (it has no RocksDB CURRENT file); nothing was changed; {}", dir,
                  repair_hint(dir)));
}

std::string summary_key(const std::string& id) { return "summary/" + id; }
std::string part_key(const std::string& id, const char* part) { return "run/" + id + "/" + part; }

nlohmann::json summary_json(const RunSummary& s) {
  return {{"id", s.id},        {"time_ms", s.time_ms}, {"scenario", s.scenario},
          {"file", s.file},    {"seed", s.seed},       {"verdict", to_string(s.verdict)},
          {"passed", s.passed}};
}

Result<RunSummary> read_summary(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("run summary is not JSON");
  try {
    RunSummary s;
    s.id = j.at("id").get<std::string>();
    s.time_ms = j.at("time_ms").get<int64_t>();
    s.scenario = j.at("scenario").get<std::string>();
    s.file = j.at("file").get<std::string>();
    s.seed = j.at("seed").get<uint64_t>();
    const std::string verdict = j.at("verdict").get<std::string>();
    const std::optional<RunSummary::Verdict> parsed = parse_run_verdict(verdict);
    if (!parsed) return Status::Corruption("run summary: unknown verdict '" + verdict + "'");
    s.verdict = *parsed;
    s.passed = j.at("passed").get<bool>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("run summary: ") + e.what());
  }
}

}  // namespace

const char* to_string(RunSummary::Verdict verdict) {
  switch (verdict) {
    case RunSummary::Verdict::kAgree: return "agree";
    case RunSummary::Verdict::kDisagree: return "disagree";
    case RunSummary::Verdict::kError: return "error";
    case RunSummary::Verdict::kCounterexample: return "counterexample";
    case RunSummary::Verdict::kIncomplete: return "incomplete";
    case RunSummary::Verdict::kInterrupted: return "interrupted";
  }
  return "?";
}

std::optional<RunSummary::Verdict> parse_run_verdict(std::string_view text) {
  for (auto v :
       {RunSummary::Verdict::kAgree, RunSummary::Verdict::kDisagree, RunSummary::Verdict::kError,
        RunSummary::Verdict::kCounterexample, RunSummary::Verdict::kIncomplete, RunSummary::Verdict::kInterrupted})
    if (text == to_string(v)) return v;
  return std::nullopt;
}

RunSummary::Verdict run_verdict(Verification::Verdict verdict) {
  switch (verdict) {
    case Verification::Verdict::kAgree: return RunSummary::Verdict::kAgree;
    case Verification::Verdict::kDisagree: return RunSummary::Verdict::kDisagree;
    case Verification::Verdict::kError: return RunSummary::Verdict::kError;
    case Verification::Verdict::kIncomplete: return RunSummary::Verdict::kIncomplete;
  }
  return RunSummary::Verdict::kError;
}

struct RunStore::Db {
  std::unique_ptr<rocksdb::DB> db;
};

std::string canonical_run_id(const std::string& id) {
  if (id.empty() || id.size() > kIdDigits ||
      !std::all_of(id.begin(), id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return "";
  return std::string(kIdDigits - id.size(), '0') + id;
}

std::string RunStore::default_dir() {
  const auto set = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (const char* home = set("REPLSIM_HOME")) return (std::filesystem::path(home) / "runs").string();
  if (const char* data = set("XDG_DATA_HOME")) return (std::filesystem::path(data) / "replsim" / "runs").string();
  if (const char* home = set("HOME"))
    return (std::filesystem::path(home) / ".local" / "share" / "replsim" / "runs").string();
  return (std::filesystem::current_path() / ".replsim" / "runs").string();
}

RunStore::RunStore(std::string dir, std::unique_ptr<Db> db) : dir_(std::move(dir)), db_(std::move(db)) {}
RunStore::~RunStore() = default;

Result<std::unique_ptr<RunStore>> RunStore::open(const std::string& dir, int64_t lock_wait_ms) {
  if (what_dir_holds(dir) == DirHolds::kSomethingElse) return refuse_non_store(dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create the run store {}: {}", dir, ec.message()));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.keep_log_file_num = 2;
  options.max_open_files = 64;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  auto db = std::make_unique<Db>();
  rocksdb::Status s;
  for (int64_t waited = 0;; waited += kLockRetryMs) {
    rocksdb::DB* raw = nullptr;
    s = rocksdb::DB::Open(options, dir, &raw);
    db->db.reset(raw);
    if (s.ok() || !lock_busy(s) || waited >= lock_wait_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kLockRetryMs));
  }
  if (!s.ok()) {
    if (lock_busy(s)) return Status::IoError(fmt::format("the run store {} is in use by another replsim", dir));
    return convert(s, "cannot open the run store " + dir);
  }
  std::string format;
  s = db->db->Get(rocksdb::ReadOptions(), "meta/format", &format);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions write;
    write.sync = true;
    s = db->db->Put(write, "meta/format", kFormat);
    if (!s.ok()) return convert(s, "cannot initialise the run store " + dir);
  } else if (!s.ok()) {
    return convert(s, "cannot read the run store " + dir);
  } else if (format != kFormat) {
    return Status::Corruption(fmt::format("{} is not a replsim run store (format '{}')", dir, format));
  }
  return std::unique_ptr<RunStore>(new RunStore(dir, std::move(db)));
}

Result<std::unique_ptr<RunStore>> RunStore::open_read_only(const std::string& dir) {
  switch (what_dir_holds(dir)) {
    case DirHolds::kNothing: return Status::NotFound(fmt::format("no runs recorded in {}", dir));
    case DirHolds::kSomethingElse: return refuse_non_store(dir);
    case DirHolds::kStore: break;
  }
  rocksdb::Options options;
  options.create_if_missing = false;
  options.max_open_files = 64;
  options.info_log = std::make_shared<DiscardingLogger>();
  auto db = std::make_unique<Db>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(options, dir, &raw);
  db->db.reset(raw);
  if (!s.ok())
    return Status::Corruption(fmt::format("cannot read the run store {}: {}; {}", dir, s.ToString(), repair_hint(dir)));
  std::string format;
  s = db->db->Get(rocksdb::ReadOptions(), "meta/format", &format);
  if (!s.ok() || format != kFormat)
    return Status::Corruption(fmt::format("{} is not a replsim run store (no meta/format '{}')", dir, kFormat));
  return std::unique_ptr<RunStore>(new RunStore(dir, std::move(db)));
}

Status RunStore::repair(const std::string& dir) {
  if (what_dir_holds(dir) == DirHolds::kNothing) return Status::NotFound(fmt::format("no run store in {}", dir));
  rocksdb::Options options;
  options.info_log = std::make_shared<DiscardingLogger>();
  rocksdb::Status s = rocksdb::RepairDB(dir, options);
  if (!s.ok()) return convert(s, "cannot repair the run store " + dir);
  auto store = open_read_only(dir);
  return store.ok() ? Status::Ok() : store.status();
}

Result<std::string> RunStore::add(const RunRecord& record) {
  std::string next;
  rocksdb::Status s = db_->db->Get(rocksdb::ReadOptions(), "meta/next_id", &next);
  uint64_t number = 1;
  if (s.ok()) {
    char* end = nullptr;
    number = std::strtoull(next.c_str(), &end, 10);
    if (end == next.c_str() || *end != '\0' || number == 0) return Status::Corruption("run store: bad meta/next_id");
  } else if (!s.IsNotFound()) {
    return convert(s, "run store: reading meta/next_id");
  }
  const std::string id = canonical_run_id(std::to_string(number));
  if (id.empty()) return Status::Failed("run store: out of run ids");
  RunSummary summary = record.summary;
  summary.id = id;
  rocksdb::WriteBatch batch;
  batch.Put("meta/next_id", std::to_string(number + 1));
  batch.Put(summary_key(id), summary_json(summary).dump());
  batch.Put(part_key(id, "scenario"), record.scenario_text);
  batch.Put(part_key(id, "prediction"), record.prediction_json);
  batch.Put(part_key(id, "history"), record.history_json);
  batch.Put(part_key(id, "verification"), record.verification_json);
  rocksdb::WriteOptions write;
  write.sync = true;
  s = db_->db->Write(write, &batch);
  if (!s.ok()) return convert(s, "run store: writing run " + id);
  return id;
}

Result<std::vector<RunSummary>> RunStore::list() const {
  std::vector<RunSummary> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(rocksdb::ReadOptions()));
  const std::string prefix = "summary/";
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto summary = read_summary(it->value().ToString());
    if (!summary.ok()) return summary.status();
    out.push_back(std::move(summary).value());
  }
  if (!it->status().ok()) return convert(it->status(), "run store: listing runs");
  return out;
}

Result<RunRecord> RunStore::get(const std::string& id_text) const {
  const std::string id = canonical_run_id(id_text);
  if (id.empty())
    return Status::InvalidInput(fmt::format("'{}' is not a run id (a number, as `replsim runs` lists)", id_text));
  RunRecord record;
  std::string text;
  rocksdb::Status s = db_->db->Get(rocksdb::ReadOptions(), summary_key(id), &text);
  if (s.IsNotFound()) return Status::NotFound(fmt::format("no run {} in {}", id_text, dir_));
  if (!s.ok()) return convert(s, "run store: reading run " + id);
  auto summary = read_summary(text);
  if (!summary.ok()) return summary.status();
  record.summary = std::move(summary).value();
  const std::pair<const char*, std::string*> parts[] = {{"scenario", &record.scenario_text},
                                                        {"prediction", &record.prediction_json},
                                                        {"history", &record.history_json},
                                                        {"verification", &record.verification_json}};
  for (const auto& [part, out] : parts) {
    s = db_->db->Get(rocksdb::ReadOptions(), part_key(id, part), out);
    if (!s.ok()) return convert(s, fmt::format("run store: reading {} of run {}", part, id));
  }
  return record;
}

}  // namespace replsim
