#include "vocab/standby_names.h"

#include <strings.h>

#include <fmt/format.h>

#include <cctype>

namespace replsim {
namespace {

// A token of syncrep_scanner.l: identifier, number, quoted name, '*', '(', ')', ','.
struct Token {
  enum class Kind { kName, kNumber, kStar, kOpen, kClose, kComma, kEnd } kind = Kind::kEnd;
  std::string text;
  int column = 0;  // 1-based.
};

class Scanner {
 public:
  explicit Scanner(const std::string& text) : text_(text) {}

  int column() const { return static_cast<int>(pos_) + 1; }

  Result<Token> next() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    Token t;
    t.column = static_cast<int>(pos_) + 1;
    if (pos_ >= text_.size()) return t;
    const char c = text_[pos_];
    if (c == '(' || c == ')' || c == ',' || c == '*') {
      ++pos_;
      t.kind = c == '('   ? Token::Kind::kOpen
               : c == ')' ? Token::Kind::kClose
               : c == ',' ? Token::Kind::kComma
                          : Token::Kind::kStar;
      t.text = std::string(1, c);
      return t;
    }
    if (c == '"') return quoted(t);
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) t.text += text_[pos_++];
      t.kind = Token::Kind::kNumber;
      return t;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80)) {
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) t.text += text_[pos_++];
      t.kind = Token::Kind::kName;
      return t;
    }
    return Status::InvalidInput(fmt::format("unexpected character '{}'", c));
  }

 private:
  static bool is_ident_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || (c & 0x80);
  }
  Result<Token> quoted(Token t) {
    ++pos_;
    for (;;) {
      if (pos_ >= text_.size()) return Status::InvalidInput("unterminated quoted standby name");
      if (text_[pos_] == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          t.text += '"';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      t.text += text_[pos_++];
    }
    t.kind = Token::Kind::kName;
    return t;
  }

  const std::string& text_;
  size_t pos_ = 0;
};

class Parser {
 public:
  explicit Parser(const std::string& text) : scanner_(text) {}

  Result<StandbyNames> parse() {
    if (auto s = advance(); !s.ok()) return s;
    StandbyNames out;
    if (tok_.kind == Token::Kind::kEnd) return out;  // Empty: asynchronous.
    out.num_sync = 1;
    Token first = tok_;
    if (auto s = advance(); !s.ok()) return s;
    const bool keyword = first.kind == Token::Kind::kName &&
                         (strcasecmp(first.text.c_str(), "ANY") == 0 || strcasecmp(first.text.c_str(), "FIRST") == 0);
    if (keyword && tok_.kind == Token::Kind::kNumber) {
      // ANY/FIRST are keywords only before a number; otherwise they are a standby's name.
      if (strcasecmp(first.text.c_str(), "ANY") == 0) out.method = StandbyNames::Method::kQuorum;
      Token number = tok_;
      if (auto s = advance(); !s.ok()) return s;
      return numbered_list(number, out);
    }
    if (first.kind == Token::Kind::kNumber && tok_.kind == Token::Kind::kOpen) return numbered_list(first, out);
    if (first.kind == Token::Kind::kOpen || first.kind == Token::Kind::kClose || first.kind == Token::Kind::kComma) {
      tok_ = first;
      return Status::InvalidInput("expected a standby name, a number or *");
    }
    out.names.push_back(first.text);
    while (tok_.kind == Token::Kind::kComma) {
      if (auto s = advance(); !s.ok()) return s;
      if (auto s = name(out); !s.ok()) return s;
    }
    if (tok_.kind != Token::Kind::kEnd) return Status::InvalidInput("expected ',' or end of value");
    return out;
  }

  int error_column() const { return tok_.column; }

 private:
  Status advance() {
    auto t = scanner_.next();
    if (!t.ok()) {
      tok_.column = scanner_.column();
      return t.status();
    }
    tok_ = *t;
    return Status::Ok();
  }

  Status expect(Token::Kind kind, const char* what) {
    if (tok_.kind != kind) {
      return Status::InvalidInput(fmt::format("expected {} but found {}", what,
                                              tok_.kind == Token::Kind::kEnd ? "end of value" : "'" + tok_.text + "'"));
    }
    return advance();
  }

  Status name(StandbyNames& out) {
    if (tok_.kind != Token::Kind::kName && tok_.kind != Token::Kind::kNumber && tok_.kind != Token::Kind::kStar)
      return Status::InvalidInput("expected a standby name, a number or *");
    out.names.push_back(tok_.text);
    return advance();
  }

  // REQUIRES: tok_ is the token after the number (it must be '(').
  Result<StandbyNames> numbered_list(const Token& number, StandbyNames& out) {
    out.num_sync = std::atoi(number.text.c_str());
    if (out.num_sync <= 0)
      return Status::InvalidInput(
          fmt::format("number of synchronous standbys ({}) must be greater than zero", out.num_sync));
    if (auto s = expect(Token::Kind::kOpen, "'('"); !s.ok()) return s;
    if (auto s = name(out); !s.ok()) return s;
    while (tok_.kind == Token::Kind::kComma) {
      if (auto s = advance(); !s.ok()) return s;
      if (auto s = name(out); !s.ok()) return s;
    }
    if (auto s = expect(Token::Kind::kClose, "')'"); !s.ok()) return s;
    if (tok_.kind != Token::Kind::kEnd) return Status::InvalidInput("expected end of value after ')'");
    return out;
  }

  Scanner scanner_;
  Token tok_;
};

}  // namespace

int StandbyNames::priority_of(const std::string& application_name) const {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "*" || strcasecmp(names[i].c_str(), application_name.c_str()) == 0) return static_cast<int>(i) + 1;
  }
  return 0;
}

std::string StandbyNames::to_string() const {
  if (!enabled()) return "";
  return fmt::format("{} {} ({})", method == Method::kQuorum ? "ANY" : "FIRST", num_sync, fmt::join(names, ", "));
}

Result<StandbyNames> parse_standby_names(const std::string& text, int* error_column) {
  Parser parser(text);
  auto result = parser.parse();
  if (!result.ok() && error_column != nullptr) *error_column = parser.error_column();
  return result;
}

}  // namespace replsim
