// TerminalFilter: nothing untrusted reaches a terminal raw. Scenario names, labels, values,
// server messages and file names are printed by many commands; rather than trust every print
// site, main() routes stdout and stderr through a filter that shows each control character as
// a visible escape: C0 controls but newline and tab (ESC becomes "\x1b"), DEL ("\x7f") and the
// C1 controls in their UTF-8 form (U+0080..U+009F, "\u009b"). Everything else, UTF-8 included,
// passes unchanged; JSON output (whose strings are already escaped) is unaffected.
#pragma once

#include <string>
#include <string_view>

namespace replsim::cli {

// Replaces stdout and stderr with filtering streams over the same file descriptors (stdout
// line-buffered on a terminal, else fully buffered; stderr unbuffered). Call first in main().
void install_terminal_filters();

// Writes a control sequence the program itself chose (a progress line's "\r\033[K") straight
// to `fd`, past the filter, after flushing what the filtered stream holds. Never pass it text
// that came from input.
void write_terminal_control(int fd, std::string_view sequence);

// The filter on one complete text (for output built as a string, e.g. CLI11's messages).
std::string terminal_safe(std::string_view text);

// The filter's state across writes: a C1 control's two UTF-8 bytes may arrive in two writes.
class TerminalEscaper {
 public:
  // Appends `bytes`, escaped, to `out`; a trailing 0xC2 is held until the next call or finish().
  void feed(std::string_view bytes, std::string& out);
  void finish(std::string& out);

 private:
  bool pending_c2_ = false;
};

}  // namespace replsim::cli
