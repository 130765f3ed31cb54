#include "vocab/timing_profile.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vocab/assert.h"
#include "vocab/nearest_rank.h"

namespace replsim {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kFormatName = "replsim-timing-profile";

Json summary_json(const LatencySummary& s) {
  return Json{{"count", s.count},   {"min_us", s.min_us}, {"p50_us", s.p50_us},
              {"p90_us", s.p90_us}, {"p99_us", s.p99_us}, {"max_us", s.max_us}};
}

// Reads a profile's fields one by one; the first problem wins and names where it is.
class ProfileReader {
 public:
  explicit ProfileReader(std::string file) : file_(std::move(file)) {}

  bool failed() const { return !error_.empty(); }
  Status status() const { return Status::InvalidInput(error_); }

  void fail(const std::string& at, const std::string& expected) {
    if (!failed()) error_ = fmt::format("{}: {}: expected {}", file_, at, expected);
  }

  const Json* field(const Json& obj, const std::string& at, const char* key, const char* what) {
    if (failed()) return nullptr;
    auto it = obj.find(key);
    if (it == obj.end()) {
      fail(join(at, key), fmt::format("{} (missing)", what));
      return nullptr;
    }
    return &*it;
  }

  std::string text(const Json& obj, const std::string& at, const char* key) {
    const Json* v = field(obj, at, key, "a string");
    if (v == nullptr) return "";
    if (!v->is_string() || v->get_ref<const std::string&>().empty()) {
      fail(join(at, key), "a non-empty string");
      return "";
    }
    return v->get<std::string>();
  }

  int64_t integer(const Json& obj, const std::string& at, const char* key, int64_t min) {
    const Json* v = field(obj, at, key, "an integer");
    if (v == nullptr) return 0;
    if (!v->is_number_integer() || v->get<int64_t>() < min) {
      fail(join(at, key), fmt::format("an integer >= {}", min));
      return 0;
    }
    return v->get<int64_t>();
  }

  const Json* object(const Json& obj, const std::string& at, const char* key) {
    const Json* v = field(obj, at, key, "an object");
    if (v != nullptr && !v->is_object()) {
      fail(join(at, key), "an object");
      return nullptr;
    }
    return v;
  }

  LatencySummary summary(const Json& obj, const std::string& at);
  // Every name of `names` as a summary, and no other key.
  std::map<std::string, LatencySummary> summaries(const Json& obj, const std::string& at,
                                                  const std::vector<std::string>& names);

  static std::string join(const std::string& at, const std::string& key) { return at.empty() ? key : at + "." + key; }

 private:
  std::string file_;
  std::string error_;
};

LatencySummary ProfileReader::summary(const Json& obj, const std::string& at) {
  LatencySummary s;
  if (!obj.is_object()) {
    fail(at, "an object with count, min_us, p50_us, p90_us, p99_us, max_us");
    return s;
  }
  s.count = integer(obj, at, "count", 1);
  s.min_us = integer(obj, at, "min_us", 0);
  s.p50_us = integer(obj, at, "p50_us", 0);
  s.p90_us = integer(obj, at, "p90_us", 0);
  s.p99_us = integer(obj, at, "p99_us", 0);
  s.max_us = integer(obj, at, "max_us", 0);
  if (!failed() && !(s.min_us <= s.p50_us && s.p50_us <= s.p90_us && s.p90_us <= s.p99_us && s.p99_us <= s.max_us)) {
    fail(at, fmt::format("min_us <= p50_us <= p90_us <= p99_us <= max_us (got {}, {}, {}, {}, {})", s.min_us, s.p50_us,
                         s.p90_us, s.p99_us, s.max_us));
  }
  return s;
}

std::map<std::string, LatencySummary> ProfileReader::summaries(const Json& obj, const std::string& at,
                                                               const std::vector<std::string>& names) {
  std::map<std::string, LatencySummary> out;
  for (const auto& [key, value] : obj.items()) {
    if (std::find(names.begin(), names.end(), key) == names.end())
      fail(join(at, key), fmt::format("one of {} (unknown key)", fmt::join(names, ", ")));
  }
  for (const std::string& name : names) {
    auto it = obj.find(name);
    if (it == obj.end()) {
      fail(join(at, name), "a summary (missing)");
      continue;
    }
    out[name] = summary(*it, join(at, name));
  }
  return out;
}

MeasuredTiming read_profile(ProfileReader& r, const Json& doc) {
  MeasuredTiming p;
  const std::string format = r.text(doc, "", "format");
  if (!r.failed() && format != kFormatName) r.fail("format", fmt::format("\"{}\"", kFormatName));
  const int64_t version = r.integer(doc, "", "version", 0);
  if (!r.failed() && version != MeasuredTiming::kFormatVersion)
    r.fail("version", fmt::format("{} (got {})", MeasuredTiming::kFormatVersion, version));
  p.created = r.text(doc, "", "created");
  p.command = r.text(doc, "", "command");
  if (const Json* m = r.object(doc, "", "machine"); m != nullptr) {
    p.machine.cpu = r.text(*m, "machine", "cpu");
    p.machine.cores = r.integer(*m, "machine", "cores", 1);
    p.machine.postgresql = r.text(*m, "machine", "postgresql");
  }
  p.samples = r.integer(doc, "", "samples", 1);
  if (const Json* s = r.object(doc, "", "steps"); s != nullptr) p.steps = r.summaries(*s, "steps", calibrated_steps());
  if (const Json* w = r.field(doc, "", "wal_shipping", "a summary"); w != nullptr)
    p.wal_shipping = r.summary(*w, "wal_shipping");
  if (const Json* c = r.object(doc, "", "commit"); c != nullptr)
    p.commit = r.summaries(*c, "commit", calibrated_commit_levels());
  return p;
}

}  // namespace

LatencySummary summarize_latencies(std::vector<int64_t> samples_us) {
  REPLSIM_ASSERT(!samples_us.empty(), "a summary of no samples");
  std::sort(samples_us.begin(), samples_us.end());
  REPLSIM_ASSERT(samples_us.front() >= 0, "a negative latency");
  return LatencySummary{static_cast<int64_t>(samples_us.size()),
                        samples_us.front(),
                        nearest_rank(samples_us, 50),
                        nearest_rank(samples_us, 90),
                        nearest_rank(samples_us, 99),
                        samples_us.back()};
}

const std::vector<std::string>& calibrated_steps() {
  static const std::vector<std::string> kSteps = {
      "insert",     "update",        "delete",         "truncate",    "mark",       "catchup",
      "check_lag",  "pause",         "resume",         "partition",   "heal",       "crash",
      "stop",       "start",         "wipe",           "base_backup", "switch_wal", "restore_point",
      "checkpoint", "break_archive", "repair_archive", "naive_copy",  "restore",    "promote"};
  return kSteps;
}

const std::vector<std::string>& calibrated_commit_levels() {
  static const std::vector<std::string> kLevels = {"off", "local", "remote_write", "on", "remote_apply"};
  return kLevels;
}

std::string timing_profile_json(const MeasuredTiming& p) {
  Json steps = Json::object();
  for (const std::string& name : calibrated_steps())
    if (auto it = p.steps.find(name); it != p.steps.end()) steps[name] = summary_json(it->second);
  Json commit = Json::object();
  for (const std::string& level : calibrated_commit_levels())
    if (auto it = p.commit.find(level); it != p.commit.end()) commit[level] = summary_json(it->second);
  Json doc{{"format", kFormatName},
           {"version", MeasuredTiming::kFormatVersion},
           {"created", p.created},
           {"command", p.command},
           {"machine", Json{{"cpu", p.machine.cpu}, {"cores", p.machine.cores}, {"postgresql", p.machine.postgresql}}},
           {"samples", p.samples},
           {"steps", steps},
           {"wal_shipping", summary_json(p.wal_shipping)},
           {"commit", commit}};
  return doc.dump(2) + "\n";
}

Result<MeasuredTiming> parse_timing_profile(const std::string& text, const std::string& file_name) {
  const Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidInput(fmt::format("{}: expected a JSON document", file_name));
  ProfileReader reader(file_name);
  if (!doc.is_object()) reader.fail("the document", "a JSON object");
  MeasuredTiming p = reader.failed() ? MeasuredTiming{} : read_profile(reader, doc);
  if (reader.failed()) return reader.status();
  return p;
}

Result<MeasuredTiming> read_timing_profile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(fmt::format("{}: no such file", path));
    return Status::IoError(fmt::format("{}: cannot read: {}", path, std::strerror(err)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError(fmt::format("{}: read failed", path));
  return parse_timing_profile(text.str(), path);
}

Status write_timing_profile(const std::string& path, const MeasuredTiming& profile) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, static_cast<long>(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
    out << timing_profile_json(profile);
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      return Status::IoError(fmt::format("{}: write failed", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmp.c_str());
    return Status::IoError(fmt::format("cannot rename {} to {}: {}", tmp, path, std::strerror(err)));
  }
  return Status::Ok();
}

}  // namespace replsim
