#include "sim/wal/row_image.h"

#include <cstdint>
#include <cstring>

#include "vocab/assert.h"

namespace replsim::wal {
namespace {
void put_u16(std::string* out, size_t v) {
  const uint16_t x = static_cast<uint16_t>(v);
  out->append(reinterpret_cast<const char*>(&x), 2);
}
bool get_u16(std::string_view* in, uint16_t* v) {
  if (in->size() < 2) return false;
  std::memcpy(v, in->data(), 2);
  in->remove_prefix(2);
  return true;
}
}  // namespace

std::string encode_row(std::span<const std::string_view> columns) {
  REPLSIM_ASSERT(columns.size() <= kMaxColumns, "too many columns for a row image");
  std::string out;
  size_t total = 2;
  for (auto c : columns) total += 2 + c.size();
  out.reserve(total);
  put_u16(&out, columns.size());
  for (auto c : columns) {
    REPLSIM_ASSERT(c.size() <= kMaxColumnBytes, "column value too long for a row image");
    put_u16(&out, c.size());
    out.append(c);
  }
  return out;
}

std::string encode_row(const std::vector<std::string>& columns) {
  std::vector<std::string_view> views(columns.begin(), columns.end());
  return encode_row(std::span<const std::string_view>(views));
}

Result<std::vector<std::string_view>> decode_row(std::string_view image) {
  uint16_t count;
  if (!get_u16(&image, &count)) return Status::Corruption("row image shorter than its column count");
  std::vector<std::string_view> columns;
  columns.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t len;
    if (!get_u16(&image, &len) || image.size() < len) return Status::Corruption("row image column runs past its end");
    columns.push_back(image.substr(0, len));
    image.remove_prefix(len);
  }
  if (!image.empty()) return Status::Corruption("row image has bytes after its last column");
  return columns;
}

std::optional<std::string_view> row_column(std::string_view image, size_t i) {
  uint16_t count;
  if (!get_u16(&image, &count) || i >= count) return std::nullopt;
  for (size_t k = 0;; ++k) {
    uint16_t len;
    if (!get_u16(&image, &len) || image.size() < len) return std::nullopt;
    if (k == i) return image.substr(0, len);
    image.remove_prefix(len);
  }
}

}  // namespace replsim::wal
