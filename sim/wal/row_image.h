// Row images: a row as a list of column values (text, as psql shows them), the payload of
// insert and update records. The simulator evaluates predicates such as
// `DELETE ... WHERE lastname = 'Johnson'` by decoding rows.
//
//   image := column_count:u16 { length:u16 bytes }*
//
// NULL is not representable; the simulator's tables have none.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vocab/status.h"

namespace replsim::wal {

inline constexpr size_t kMaxColumns = 0xFFFF;
inline constexpr size_t kMaxColumnBytes = 0xFFFF;

// REQUIRES: at most kMaxColumns columns, each at most kMaxColumnBytes bytes.
std::string encode_row(std::span<const std::string_view> columns);
std::string encode_row(const std::vector<std::string>& columns);

// Views into `image`; a Corruption status if `image` is not a well-formed row image.
Result<std::vector<std::string_view>> decode_row(std::string_view image);
// Column `i` without decoding the rest; nullopt if the image is malformed or has no column i.
std::optional<std::string_view> row_column(std::string_view image, size_t i);

}  // namespace replsim::wal
