#include "sim/value_input.h"

#include <strings.h>

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>

namespace replsim::sim {
namespace {

constexpr int kNumericMaxPrecision = 1000;  // NUMERIC_MAX_PRECISION: the exponent's bound.

bool space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// libpq sends parameters as C strings: a value ends at its first NUL byte.
std::string_view c_string(std::string_view text) { return text.substr(0, text.find('\0')); }

InputValue refused(const char* sqlstate, std::string message) { return {false, "", sqlstate, std::move(message)}; }
InputValue syntax(const char* type, std::string_view text) {
  return refused("22P02", fmt::format("invalid input syntax for type {}: \"{}\"", type, text));
}

// A numeric value: digits * 10^exponent (digits without leading or trailing zeros; "" is zero),
// or NaN or an infinity.
struct Decimal {
  enum class Kind { kFinite, kNaN, kInfinity } kind = Kind::kFinite;
  bool negative = false;
  std::string digits;
  int exponent = 0;

  void normalize() {
    const size_t first = digits.find_first_not_of('0');
    digits = first == std::string::npos ? "" : digits.substr(first);
    while (!digits.empty() && digits.back() == '0') {
      digits.pop_back();
      ++exponent;
    }
    if (digits.empty()) {
      exponent = 0;
      negative = false;
    }
  }
  bool operator==(const Decimal& o) const {
    return kind == o.kind && negative == o.negative && digits == o.digits && exponent == o.exponent;
  }
  // Integer digits: how many digits stand before the decimal point.
  int integer_digits() const { return digits.empty() ? 0 : std::max(0, static_cast<int>(digits.size()) + exponent); }
};

// numeric_in's special values (numeric.c): NaN, Infinity, inf, with an optional sign on the
// infinities, in any case; the rest of `cp` must be whitespace.
std::optional<Decimal> special(std::string_view cp) {
  struct Word {
    const char* text;
    Decimal::Kind kind;
    bool negative;
  };
  static const Word words[] = {{"NaN", Decimal::Kind::kNaN, false},
                               {"Infinity", Decimal::Kind::kInfinity, false},
                               {"+Infinity", Decimal::Kind::kInfinity, false},
                               {"-Infinity", Decimal::Kind::kInfinity, true},
                               {"inf", Decimal::Kind::kInfinity, false},
                               {"+inf", Decimal::Kind::kInfinity, false},
                               {"-inf", Decimal::Kind::kInfinity, true}};
  for (const Word& w : words) {
    const size_t n = std::char_traits<char>::length(w.text);
    if (cp.size() < n || strncasecmp(cp.data(), w.text, n) != 0) continue;
    std::string_view rest = cp.substr(n);
    while (!rest.empty() && space(rest.front())) rest.remove_prefix(1);
    if (!rest.empty()) return std::nullopt;
    Decimal d;
    d.kind = w.kind;
    d.negative = w.negative;
    return d;
  }
  return std::nullopt;
}

// numeric_in and set_var_from_str of PostgreSQL 15.
std::optional<Decimal> parse_decimal(std::string_view text) {
  std::string_view cp = text;
  while (!cp.empty() && space(cp.front())) cp.remove_prefix(1);
  if (std::optional<Decimal> s = special(cp)) return s;
  Decimal d;
  if (!cp.empty() && (cp.front() == '+' || cp.front() == '-')) {
    d.negative = cp.front() == '-';
    cp.remove_prefix(1);
  }
  bool have_dp = false;
  if (!cp.empty() && cp.front() == '.') {
    have_dp = true;
    cp.remove_prefix(1);
  }
  if (cp.empty() || !digit(cp.front())) return std::nullopt;
  int fraction = 0;
  for (; !cp.empty(); cp.remove_prefix(1)) {
    if (digit(cp.front())) {
      d.digits.push_back(cp.front());
      if (have_dp) ++fraction;
    } else if (cp.front() == '.') {
      if (have_dp) return std::nullopt;
      have_dp = true;
    } else {
      break;
    }
  }
  long exponent = 0;
  if (!cp.empty() && (cp.front() == 'e' || cp.front() == 'E')) {
    const std::string rest(cp.substr(1));
    char* end = nullptr;
    exponent = std::strtol(rest.c_str(), &end, 10);
    if (end == rest.c_str()) return std::nullopt;
    if (exponent > kNumericMaxPrecision || exponent < -kNumericMaxPrecision) return std::nullopt;
    cp.remove_prefix(1 + static_cast<size_t>(end - rest.c_str()));
  }
  while (!cp.empty() && space(cp.front())) cp.remove_prefix(1);
  if (!cp.empty()) return std::nullopt;
  d.exponent = static_cast<int>(exponent) - fraction;
  d.normalize();
  return d;
}

// Rounds to `scale` fractional digits, half away from zero (round_var).
void round_to(Decimal& d, int scale) {
  if (d.kind != Decimal::Kind::kFinite || d.exponent >= -scale) return;
  const size_t drop = static_cast<size_t>(-scale - d.exponent);
  const size_t n = d.digits.size();
  const char rounding = drop <= n ? d.digits[n - drop] : '0';
  std::string kept = drop < n ? d.digits.substr(0, n - drop) : "";
  if (rounding >= '5') {
    size_t i = kept.size();
    while (i > 0 && kept[i - 1] == '9') kept[--i] = '0';
    if (i == 0) kept.insert(kept.begin(), '1');
    else ++kept[i - 1];
  }
  d.digits = kept;
  d.exponent = -scale;
  d.normalize();
}

// Plain decimal text with at least `scale` fractional digits: "5.00", "-0.5", "NaN".
std::string format_decimal(const Decimal& d, int scale) {
  if (d.kind == Decimal::Kind::kNaN) return "NaN";
  if (d.kind == Decimal::Kind::kInfinity) return d.negative ? "-Infinity" : "Infinity";
  const int frac = std::max(scale, -d.exponent);
  std::string all = d.digits.empty() ? "0" : d.digits;
  if (!d.digits.empty() && d.exponent + frac > 0) all += std::string(static_cast<size_t>(d.exponent + frac), '0');
  if (all.size() <= static_cast<size_t>(frac)) all.insert(0, static_cast<size_t>(frac) + 1 - all.size(), '0');
  std::string out = d.negative ? "-" : "";
  out += all.substr(0, all.size() - static_cast<size_t>(frac));
  if (frac > 0) out += "." + all.substr(all.size() - static_cast<size_t>(frac));
  return out;
}

}  // namespace

InputValue int4_input(std::string_view text) {
  text = c_string(text);
  std::string_view p = text;
  while (!p.empty() && space(p.front())) p.remove_prefix(1);
  bool negative = false;
  if (!p.empty() && (p.front() == '-' || p.front() == '+')) {
    negative = p.front() == '-';
    p.remove_prefix(1);
  }
  if (p.empty() || !digit(p.front())) return syntax("integer", text);
  int64_t value = 0;
  for (; !p.empty() && digit(p.front()); p.remove_prefix(1)) {
    value = value * 10 + (p.front() - '0');
    if (value > static_cast<int64_t>(INT32_MAX) + (negative ? 1 : 0))
      return refused("22003", fmt::format("value \"{}\" is out of range for type integer", text));
  }
  while (!p.empty() && space(p.front())) p.remove_prefix(1);
  if (!p.empty()) return syntax("integer", text);
  return {true, std::to_string(negative ? -value : value), "", ""};
}

InputValue numeric_input(std::string_view text) {
  text = c_string(text);
  std::optional<Decimal> d = parse_decimal(text);
  if (!d) return syntax("numeric", text);
  return {true, format_decimal(*d, 0), "", ""};
}

InputValue numeric_input(std::string_view text, int precision, int scale) {
  text = c_string(text);
  std::optional<Decimal> d = parse_decimal(text);
  if (!d) return syntax("numeric", text);
  if (d->kind == Decimal::Kind::kInfinity) return refused("22003", "numeric field overflow");
  round_to(*d, scale);
  if (d->integer_digits() > precision - scale) return refused("22003", "numeric field overflow");
  return {true, format_decimal(*d, scale), "", ""};
}

InputValue column_input(const ColumnSpec& column, std::string_view text, InputUse use) {
  switch (column.type) {
    case ColumnSpec::Type::kSerial:
    case ColumnSpec::Type::kInteger: return int4_input(text);
    case ColumnSpec::Type::kNumeric:
      return use == InputUse::kStored ? numeric_input(text, kNumericPrecision, kNumericScale) : numeric_input(text);
    case ColumnSpec::Type::kText:
    case ColumnSpec::Type::kTimestamp: break;
  }
  const std::string_view value = c_string(text);
  return {true, value.empty() ? kEmptyText : std::string(value), "", ""};
}

bool column_equal(const ColumnSpec& column, std::string_view stored, std::string_view compared) {
  if (stored.empty()) return false;  // NULL.
  if (column.type != ColumnSpec::Type::kNumeric) return stored == compared;
  const std::optional<Decimal> a = parse_decimal(stored), b = parse_decimal(compared);
  return a && b && *a == *b;
}

}  // namespace replsim::sim
