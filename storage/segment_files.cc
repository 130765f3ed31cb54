#include "storage/segment_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <fstream>
#include <map>
#include <string>
#include <system_error>
#include <utility>

#include "vocab/lsn.h"

namespace replsim::storage {

using wal::SegmentStore;

namespace {

void write_zeros(std::ofstream& f, uint64_t n) {
  static constexpr char kZeros[4096] = {};
  for (; n > 0; n -= std::min<uint64_t>(n, sizeof kZeros)) {
    f.write(kZeros, static_cast<std::streamsize>(std::min<uint64_t>(n, sizeof kZeros)));
  }
}

Result<std::string> read_whole_file(const std::filesystem::path& path, uint64_t size) {
  std::string bytes(size, '\0');
  std::ifstream f(path, std::ios::binary);
  f.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!f || static_cast<uint64_t>(f.gcount()) != size)
    return Status::IoError(fmt::format("cannot read {}", path.string()));
  return bytes;
}

bool valid_segment_size(uint64_t size) {
  return std::has_single_bit(size) && size >= wal::kMinSegmentSize && size <= wal::kMaxSegmentSize;
}

// Appends one whole segment file's bytes at `start`, labelled with its timeline; a file of
// `size` bytes less than the segment size is padded with zeros.
Status append_file(SegmentStore& store, TimelineId timeline, Lsn start, const std::filesystem::path& path,
                   uint64_t size) {
  auto bytes = read_whole_file(path, size);
  if (!bytes.ok()) return bytes.status();
  bytes->resize(store.segment_size(), '\0');
  store.set_timeline(timeline);
  store.write(start, *bytes);
  return Status::Ok();
}

}  // namespace

Status save_segments(const SegmentStore& store, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const uint64_t size = store.segment_size();
  for (const std::string& name : store.segment_names()) {
    TimelineId timeline;
    Lsn seg_start;
    wal::parse_segment_name(name, size, &timeline, &seg_start);
    // Only [oldest_lsn(), end_lsn()) holds WAL; the rest of the segment is written as zeros.
    const uint64_t from = std::clamp(store.oldest_lsn().value, seg_start.value, seg_start.value + size);
    const uint64_t to = std::clamp(store.end_lsn().value, seg_start.value, seg_start.value + size);
    const auto path = dir / name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    write_zeros(f, from - seg_start.value);
    for (uint64_t at = from; at < to;) {
      const char* p = nullptr;
      const uint64_t n = std::min(store.contiguous(Lsn{at}, &p), to - at);
      f.write(p, static_cast<std::streamsize>(n));
      at += n;
    }
    write_zeros(f, seg_start.value + size - to);
    if (!f) return Status::IoError(fmt::format("cannot write {}", path.string()));
  }
  return Status::Ok();
}

Result<SegmentStore> load_segments(const std::filesystem::path& dir, uint64_t segment_size,
                                   std::vector<ShortSegment>* short_segments) {
  if (!valid_segment_size(segment_size)) {
    return Status::InvalidInput(fmt::format("invalid segment size {}", segment_size));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Status::NotFound(fmt::format("{}: no such directory", dir.string()));
  std::map<uint64_t, std::pair<TimelineId, std::filesystem::path>> files;  // segno -> newest timeline.
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    TimelineId tli;
    Lsn start;
    if (!entry.is_regular_file() ||
        !wal::parse_segment_name(entry.path().filename().string(), segment_size, &tli, &start)) {
      continue;
    }
    if (entry.file_size() != segment_size && (short_segments == nullptr || entry.file_size() > segment_size)) {
      return Status::Corruption(fmt::format("{}: size {} is not the segment size {}", entry.path().string(),
                                            entry.file_size(), segment_size));
    }
    auto [it, inserted] = files.try_emplace(start.value / segment_size, tli, entry.path());
    if (!inserted && it->second.first < tli) it->second = {tli, entry.path()};
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  if (files.empty()) return Status::NotFound(fmt::format("no WAL segment files in {}", dir.string()));
  SegmentStore store(segment_size, files.rbegin()->second.first);
  uint64_t expected = files.begin()->first;
  for (const auto& [segno, file] : files) {
    if (segno != expected) {
      return Status::Corruption(fmt::format("segment {} is missing before {}",
                                            wal_segment_name(file.first, Lsn{expected * segment_size}, segment_size),
                                            file.second.filename().string()));
    }
    const uint64_t size = std::filesystem::file_size(file.second, ec);
    if (ec) return Status::IoError(fmt::format("cannot stat {}: {}", file.second.string(), ec.message()));
    if (Status s = append_file(store, file.first, Lsn{segno * segment_size}, file.second, size); !s.ok()) return s;
    if (size < segment_size) {
      short_segments->push_back(
          {file.second.filename().string(), size, Lsn{segno * segment_size + size}, Lsn{(segno + 1) * segment_size}});
    }
    ++expected;
  }
  store.set_timeline(files.rbegin()->second.first);
  return store;
}

Result<SegmentStore> load_segment_file(const std::filesystem::path& file) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) return Status::IoError(fmt::format("cannot stat {}: {}", file.string(), ec.message()));
  if (!valid_segment_size(size)) {
    return Status::InvalidInput(fmt::format("{}: size {} is not a valid WAL segment size", file.string(), size));
  }
  TimelineId tli;
  Lsn start;
  if (!wal::parse_segment_name(file.filename().string(), size, &tli, &start)) {
    return Status::InvalidInput(fmt::format("{}: not named like a WAL segment (24 hex digits)", file.string()));
  }
  SegmentStore store(size, tli);
  if (Status s = append_file(store, tli, start, file, size); !s.ok()) return s;
  return store;
}

Result<SegmentStore> load_segment_file(const std::filesystem::path& file, uint64_t segment_size,
                                       std::vector<ShortSegment>* short_segments) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  if (ec || valid_segment_size(size) || size >= segment_size || !valid_segment_size(segment_size))
    return load_segment_file(file);
  TimelineId tli;
  Lsn start;
  if (!wal::parse_segment_name(file.filename().string(), segment_size, &tli, &start)) return load_segment_file(file);
  SegmentStore store(segment_size, tli);
  if (Status s = append_file(store, tli, start, file, size); !s.ok()) return s;
  short_segments->push_back({file.filename().string(), size, Lsn{start.value + size}, Lsn{start.value + segment_size}});
  return store;
}

}  // namespace replsim::storage
