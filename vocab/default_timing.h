// The timing profile shipped in timing/default.json, compiled into the binary at build time
// (vocab/CMakeLists.txt writes its text into a generated source), so `run`, `verify` and
// `check` use it without a flag and without finding the file from the working directory.
#pragma once

#include "vocab/timing_profile.h"

namespace replsim {

// timing/default.json's text, as it was when the binary was built.
const char* default_timing_profile_json();

// That profile, read and validated once. A build whose shipped profile does not validate
// fails here at first use (vocab_test checks that it validates).
const MeasuredTiming& default_timing_profile();

}  // namespace replsim
