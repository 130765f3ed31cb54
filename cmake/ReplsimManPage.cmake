# Writes the replsim(1) man page from the binary's own --help texts (docs/install.md says why
# this script and not help2man). Run at build time by cmake/ReplsimInstall.cmake:
#   cmake -DREPLSIM=path/to/replsim -DOUT=path/to/replsim.1 -DVERSION=0.1.0 -P ReplsimManPage.cmake
# Writes OUT and OUT.gz (gzip -9n, what Debian installs). Every command and subcommand the
# top-level --help lists gets its own section made from its --help text (lists of options become
# tagged paragraphs), so the page cannot drift from the binary and holds whatever the help says.
cmake_minimum_required(VERSION 3.25)
foreach(var REPLSIM OUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ReplsimManPage.cmake: -D${var}=... is required")
  endif()
endforeach()

# The --help text of `replsim ARGS... --help`; a failure stops the build.
function(replsim_help out_var)
  execute_process(COMMAND ${REPLSIM} ${ARGN} --help
                  OUTPUT_VARIABLE text ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`replsim ${ARGN} --help` exited ${rc}: ${err}")
  endif()
  string(REPLACE "${REPLSIM}" "replsim" text "${text}")  # CLI11 prints argv[0] in "Usage:".
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# The names listed under "Subcommands:" in a CLI11 help text: the lines indented by exactly two
# spaces in the indented block after that heading (descriptions continue deeper).
function(replsim_subcommands text out_var)
  set(names "")
  string(FIND "${text}" "\nSubcommands:\n" at)
  if(at GREATER_EQUAL 0)
    math(EXPR at "${at} + 13")  # Keeps the newline before the first entry.
    string(SUBSTRING "${text}" ${at} -1 block)
    string(REGEX REPLACE "\n[^ ].*" "" block "${block}")  # Up to the first line not indented.
    string(REGEX MATCHALL "\n  [a-z][a-z0-9_-]*" entries "${block}")
    foreach(entry IN LISTS entries)
      string(STRIP "${entry}" entry)
      list(APPEND names "${entry}")
    endforeach()
  endif()
  set(${out_var} "${names}" PARENT_SCOPE)
endfunction()

# One line of text as troff: backslashes and minus signs escaped, a leading . or ' made literal.
function(replsim_troff_escape line out_var)
  string(REPLACE "\\" "\\e" line "${line}")
  string(REPLACE "-" "\\-" line "${line}")
  if(line MATCHES "^[.']")
    set(line "\\&${line}")
  endif()
  set(${out_var} "${line}" PARENT_SCOPE)
endfunction()

# One entry of a list ("  NAME  DESCRIPTION", or "  NAME" with the description on the next
# lines) as a tagged paragraph: the name's first word bold, the rest (its argument) as printed.
function(replsim_list_entry line out_var)
  string(REGEX REPLACE "^  " "" line "${line}")
  set(description "")
  if(line MATCHES "^([^ ]+( [^ ]+)*)  +([^ ].*)$")
    set(line "${CMAKE_MATCH_1}")
    replsim_troff_escape("${CMAKE_MATCH_3}" description)
    string(APPEND description "\n")
  endif()
  string(REGEX MATCH "^[^ ]+" first "${line}")
  string(LENGTH "${first}" n)
  string(SUBSTRING "${line}" ${n} -1 rest)
  replsim_troff_escape("${first}" first)
  replsim_troff_escape("${rest}" rest)
  set(${out_var} ".TP\n\\fB${first}\\fR${rest}\n${description}" PARENT_SCOPE)
endfunction()

# A CLI11 --help text as man(7) markup. A line "Heading:" (Options:, Subcommands:, Exit codes:)
# starts a list whose entries are the lines indented by two spaces, deeper lines continuing an
# entry; "Usage:" starts a paragraph; every other line is text, its line breaks kept, filled to
# the reader's width.
function(replsim_help_to_man text out_var)
  # Brackets and semicolons would confuse CMake's list splitting; put back at the end.
  string(REPLACE ";" "@SEMI@" text "${text}")
  string(REPLACE "[" "@LSQB@" text "${text}")
  string(REPLACE "]" "@RSQB@" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(man "")
  set(in_list FALSE)
  set(new_paragraph TRUE)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE " +$" "" line "${line}")
    if(line STREQUAL "")
      set(in_list FALSE)
      set(new_paragraph TRUE)
    elseif(line MATCHES "^[A-Z][A-Za-z -]*:$")
      replsim_troff_escape("${line}" heading)
      string(APPEND man ".PP\n\\fB${heading}\\fR\n")
      set(in_list TRUE)
    elseif(line MATCHES "^Usage: (.*)$")
      replsim_troff_escape("${CMAKE_MATCH_1}" usage)
      string(APPEND man ".PP\n\\fBUsage:\\fR ${usage}\n")
      set(in_list FALSE)
      set(new_paragraph FALSE)
    elseif(in_list AND line MATCHES "^  [^ ]")
      replsim_list_entry("${line}" entry)
      string(APPEND man "${entry}")
    elseif(in_list)
      string(STRIP "${line}" line)
      replsim_troff_escape("${line}" line)
      string(APPEND man ".br\n${line}\n")
    else()
      string(STRIP "${line}" line)
      replsim_troff_escape("${line}" line)
      if(new_paragraph)
        string(APPEND man ".PP\n${line}\n")
      else()
        string(APPEND man ".br\n${line}\n")
      endif()
      set(new_paragraph FALSE)
    endif()
  endforeach()
  string(REPLACE "@SEMI@" ";" man "${man}")
  string(REPLACE "@LSQB@" "[" man "${man}")
  string(REPLACE "@RSQB@" "]" man "${man}")
  set(${out_var} "${man}" PARENT_SCOPE)
endfunction()

# Appends a section for `replsim WORDS...` and, depth first, for each of its subcommands.
function(replsim_command_sections page_var)
  set(page "${${page_var}}")
  replsim_help(text ${ARGN})
  string(JOIN " " title replsim ${ARGN})
  replsim_help_to_man("${text}" body)
  string(APPEND page ".SS \"${title}\"\n${body}")
  replsim_subcommands("${text}" subs)
  foreach(sub IN LISTS subs)
    replsim_command_sections(page ${ARGN} ${sub})
  endforeach()
  set(${page_var} "${page}" PARENT_SCOPE)
endfunction()

replsim_help(top)
# NAME: the first line of the top-level help ("replsim: what it does").
string(REGEX MATCH "^[^\n]*" summary "${top}")
string(REGEX REPLACE "^replsim: *" "" summary "${summary}")
string(REPLACE "\\" "\\e" summary "${summary}")
string(REPLACE "-" "\\-" summary "${summary}")
string(TIMESTAMP date "%Y-%m-%d" UTC)  # SOURCE_DATE_EPOCH, when set, makes this reproducible.

set(page ".\\\" Generated from `replsim --help` by cmake/ReplsimManPage.cmake; do not edit.\n")
string(APPEND page ".TH REPLSIM 1 \"${date}\" \"replsim ${VERSION}\" \"User Commands\"\n")
string(APPEND page ".nh\n.ad l\n")  # No hyphenation, ragged right: option names stay whole.
string(APPEND page ".SH NAME\nreplsim \\- ${summary}\n")
string(APPEND page ".SH SYNOPSIS\n.B replsim\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n.br\n")
string(APPEND page ".B replsim\n.I COMMAND\n\\fB\\-\\-help\\fR\n")
string(APPEND page ".SH DESCRIPTION\n")
replsim_help_to_man("${top}" top_body)
string(APPEND page "${top_body}")
string(APPEND page ".SH COMMANDS\n")
replsim_subcommands("${top}" commands)
if(NOT commands)
  message(FATAL_ERROR "ReplsimManPage.cmake: `replsim --help` lists no subcommands:\n${top}")
endif()
foreach(command IN LISTS commands)
  replsim_command_sections(page ${command})
endforeach()
string(APPEND page [=[
.SH FILES
.TP
.I PREFIX/share/replsim/timing/default.json
The timing profile shipped with replsim: the step latencies measured on the project's machine.
The binary has the same profile compiled in and uses it by default; the file is a starting
point to read or edit for \fB\-\-timing\fR (\fBreplsim calibrate\fR measures this machine's).
.TP
.I PREFIX/share/replsim/scenarios/*.yaml
The example scenarios: the drills of the course and the cases found along the way. Each is
self-contained and runs from where it is installed, e.g.
\fBreplsim run PREFIX/share/replsim/scenarios/drill\-2.1\-replication\-lag.yaml\fR.
.PP
\fIPREFIX\fR is \fI/usr\fR for the Debian package and the CMake install prefix (by default
\fI/usr/local\fR) after \fBcmake \-\-install\fR.
.SH SEE ALSO
.BR postgres (1),
.BR pg_basebackup (1),
.BR initdb (1)
]=])

file(WRITE "${OUT}" "${page}")
execute_process(COMMAND gzip -9 -n -c "${OUT}" OUTPUT_FILE "${OUT}.gz" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${OUT} exited ${rc}")
endif()
