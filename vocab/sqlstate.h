// SQLSTATE codes and PostgreSQL's condition names for them (PostgreSQL 15 docs, Appendix A
// "PostgreSQL Error Codes"; src/backend/utils/errcodes.txt): how a scenario names the ERROR it
// expects a step to get (`error: invalid_text_representation` or `error: 22P02`), and how a
// report names a code it shows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace replsim {

// The SQLSTATEs a scenario's steps can meet, with their condition names.
struct SqlState {
  const char* code;       // Five characters: "22P02".
  const char* condition;  // "invalid_text_representation".
};
const std::vector<SqlState>& known_sqlstates();

// "22P02" for "invalid_text_representation" or "22P02" (any five digits or upper-case letters
// is a code, known or not); nullopt for anything else.
std::optional<std::string> parse_sqlstate(std::string_view condition_or_code);
// The condition name of a known code, or "" for an unknown one.
std::string condition_name(std::string_view code);

}  // namespace replsim
