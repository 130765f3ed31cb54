#include "vocab/sqlstate.h"

#include <algorithm>
#include <cctype>

namespace replsim {

const std::vector<SqlState>& known_sqlstates() {
  static const std::vector<SqlState> codes = {
      {"0A000", "feature_not_supported"},
      {"22003", "numeric_value_out_of_range"},
      {"22023", "invalid_parameter_value"},
      {"22P02", "invalid_text_representation"},
      {"23502", "not_null_violation"},
      {"23503", "foreign_key_violation"},
      {"23505", "unique_violation"},
      {"25006", "read_only_sql_transaction"},
      {"42601", "syntax_error"},
      {"42701", "duplicate_column"},
      {"42703", "undefined_column"},
      {"55000", "object_not_in_prerequisite_state"},
      {"57014", "query_canceled"},
      {"57P01", "admin_shutdown"},
  };
  return codes;
}

std::optional<std::string> parse_sqlstate(std::string_view text) {
  for (const SqlState& s : known_sqlstates())
    if (text == s.condition || text == s.code) return std::string(s.code);
  const bool code = text.size() == 5 && std::all_of(text.begin(), text.end(), [](char c) {
                      return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'Z');
                    });
  if (code) return std::string(text);
  return std::nullopt;
}

std::string condition_name(std::string_view code) {
  for (const SqlState& s : known_sqlstates())
    if (code == s.code) return s.condition;
  return "";
}

}  // namespace replsim
