#include "cli/terminal_filter.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace replsim::cli {
namespace {

void escape_byte(unsigned char c, std::string& out) { out += fmt::format("\\x{:02x}", c); }

struct Cookie {
  int fd;
  TerminalEscaper escaper;
};

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

ssize_t cookie_write(void* cookie, const char* buf, size_t size) {
  auto* c = static_cast<Cookie*>(cookie);
  std::string out;
  c->escaper.feed(std::string_view(buf, size), out);
  return write_all(c->fd, out) ? static_cast<ssize_t>(size) : -1;
}

// What a cookie's escaper still holds (a lone first byte of a possible C1 control) goes out.
int finish_cookie(Cookie& c) {
  std::string out;
  c.escaper.finish(out);
  return write_all(c.fd, out) ? 0 : -1;
}

int cookie_close(void* cookie) { return finish_cookie(*static_cast<Cookie*>(cookie)); }

// One cookie per standard stream for the life of the process: exit() flushes the filtered
// streams but never closes them, so a cookie on the heap was never freed (the sanitized
// `replsim check` in CI reported the leak); what its escaper holds is written at exit.
Cookie& cookie_of(int fd) {
  static Cookie out{STDOUT_FILENO, {}};
  static Cookie err{STDERR_FILENO, {}};
  return fd == STDOUT_FILENO ? out : err;
}

void finish_at_exit() {
  std::fflush(stdout);
  std::fflush(stderr);
  (void)finish_cookie(cookie_of(STDOUT_FILENO));
  (void)finish_cookie(cookie_of(STDERR_FILENO));
}

FILE* filtered(int fd, int mode) {
  cookie_io_functions_t io{};
  io.write = cookie_write;
  io.close = cookie_close;
  FILE* f = fopencookie(&cookie_of(fd), "w", io);
  if (f != nullptr) std::setvbuf(f, nullptr, mode, mode == _IONBF ? 0 : BUFSIZ);
  return f;
}

}  // namespace

void TerminalEscaper::feed(std::string_view bytes, std::string& out) {
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (pending_c2_) {
      pending_c2_ = false;
      if (c >= 0x80 && c <= 0x9f) {  // U+0080..U+009F: a C1 control (0x9b is a one-byte CSI).
        out += fmt::format("\\u{:04x}", c);
        continue;
      }
      out += '\xc2';
    }
    if (c == 0xc2) {
      pending_c2_ = true;
    } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      escape_byte(c, out);
    } else {
      out += ch;
    }
  }
}

void TerminalEscaper::finish(std::string& out) {
  if (pending_c2_) out += '\xc2';
  pending_c2_ = false;
}

std::string terminal_safe(std::string_view text) {
  TerminalEscaper e;
  std::string out;
  e.feed(text, out);
  e.finish(out);
  return out;
}

void write_terminal_control(int fd, std::string_view sequence) {
  std::fflush(fd == STDERR_FILENO ? stderr : stdout);
  write_all(fd, std::string(sequence));
}

void install_terminal_filters() {
  std::fflush(stdout);
  std::fflush(stderr);
  if (FILE* out = filtered(STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF)) stdout = out;
  if (FILE* err = filtered(STDERR_FILENO, _IONBF)) stderr = err;
  std::atexit(finish_at_exit);
}

}  // namespace replsim::cli
