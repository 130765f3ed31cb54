#include "vocab/lsn.h"

#include <fmt/format.h>

#include <charconv>

namespace replsim {

std::string Lsn::to_string() const {
  return fmt::format("{:X}/{:X}", static_cast<uint32_t>(value >> 32), static_cast<uint32_t>(value));
}

std::optional<Lsn> Lsn::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return std::nullopt;
  uint32_t hi = 0, lo = 0;
  auto parse_part = [](std::string_view part, uint32_t& out) {
    if (part.size() > 8) return false;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), out, 16);
    return ec == std::errc() && ptr == part.data() + part.size();
  };
  if (!parse_part(text.substr(0, slash), hi) || !parse_part(text.substr(slash + 1), lo)) return std::nullopt;
  return Lsn{(static_cast<uint64_t>(hi) << 32) | lo};
}

int64_t lsn_diff(Lsn a, Lsn b) { return static_cast<int64_t>(a.value - b.value); }

std::string wal_segment_name(TimelineId timeline, Lsn lsn, uint64_t segment_size) {
  // XLogFileName(): timeline, then the segment number split into "log" and "seg" parts.
  const uint64_t segments_per_id = 0x100000000ULL / segment_size;
  const uint64_t segno = lsn.value / segment_size;
  return fmt::format("{:08X}{:08X}{:08X}", timeline, static_cast<uint32_t>(segno / segments_per_id),
                     static_cast<uint32_t>(segno % segments_per_id));
}

}  // namespace replsim
