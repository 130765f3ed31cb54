// Installing replsim (docs/install.md): the Debian package CPack builds from this build tree
// installs with dpkg into a scratch root whose package database holds this machine's copies of
// the packages it depends on (so dpkg itself checks the Depends field), and what it installs
// works from there: the binary runs every installed example scenario, the man page renders, the
// shipped timing profile is the one compiled in. `cmake --install --prefix` installs the same
// files. Nothing is rebuilt: CPack installs the binary and man page the build already made.
#include <stdlib.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kSource = REPLSIM_TEST_SOURCE_DIR;
const fs::path kBuild = REPLSIM_BINARY_DIR;

struct Ran {
  int exit_code = -1;
  std::string out;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs `command` with /bin/sh; its stdout (and stderr, when asked with 2>&1) and exit code.
Ran sh(const std::string& command) {
  Ran r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\n"));
  s.erase(s.find_last_not_of(" \t\n") + 1);
  return s;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// A fresh directory under the system's temporary directory, removed at the end unless a check
// failed there (then its path is printed, to look at).
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "replsim-install-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    if (::testing::Test::HasFailure()) {
      std::printf("scratch directory kept: %s\n", path_.c_str());
    } else {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::set<std::string> yaml_names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") names.insert(e.path().filename().string());
  }
  return names;
}

// The package names a Depends field relates to: each relation's alternatives, without versions.
std::vector<std::string> depends_names(const std::string& depends) {
  std::vector<std::string> names;
  std::string token;
  std::istringstream relations(depends);
  for (std::string relation; std::getline(relations, relation, ',');) {
    std::istringstream alternatives(relation);
    for (std::string alt; std::getline(alternatives, alt, '|');) {
      alt = trim(alt);
      names.push_back(alt.substr(0, alt.find_first_of(" (:")));
    }
  }
  return names;
}

// Builds the package into `out` with the build tree's CPack configuration; its path.
fs::path build_package(const fs::path& out) {
  const Ran cpack = sh(quote(REPLSIM_CPACK) + " --config " + quote((kBuild / "CPackConfig.cmake").string()) +
                       " -G DEB -B " + quote(out.string()) + " 2>&1");
  EXPECT_EQ(cpack.exit_code, 0) << cpack.out;
  std::vector<fs::path> debs;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.path().extension() == ".deb") debs.push_back(e.path());
  }
  EXPECT_EQ(debs.size(), 1u) << cpack.out;
  return debs.empty() ? fs::path() : debs.front();
}

// A dpkg database for `root` holding this machine's status entries of `packages` (each must be
// installed here: scripts/setup.sh installs them), with empty file lists.
void seed_dpkg_database(const fs::path& root, const std::vector<std::string>& packages) {
  const fs::path admin = root / "var/lib/dpkg";
  fs::create_directories(admin / "updates");
  fs::create_directories(admin / "info");
  std::string status;
  for (const auto& p : packages) {
    const Ran entry = sh("dpkg-query -s " + quote(p) + " 2>&1");
    const Ran name = sh("dpkg-query -W -f='${binary:Package}' " + quote(p) + " 2>/dev/null");
    EXPECT_TRUE(entry.exit_code == 0 && contains(entry.out, "Status: install ok installed"))
        << p << " is not installed on this machine (scripts/setup.sh installs what replsim needs): " << entry.out;
    if (entry.exit_code != 0 || name.exit_code != 0) continue;
    status += trim(entry.out) + "\n\n";
    std::FILE* list = std::fopen((admin / "info" / (trim(name.out) + ".list")).c_str(), "w");
    if (list != nullptr) std::fclose(list);
  }
  std::FILE* f = std::fopen((admin / "status").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs(status.c_str(), f);
  std::fclose(f);
}

// The Depends field names the Debian 12 packages replsim runs with.
void check_depends(const std::vector<std::string>& names, const std::string& depends) {
  auto has = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  auto has_prefix = [&](const std::string& prefix) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
  };
  // The server binaries the harness runs: postgres, initdb (postgresql-15), pg_basebackup (-client-15).
  for (const char* exact : {"postgresql-15", "postgresql-client-15", "libpq5", "libc6", "libstdc++6"}) {
    EXPECT_TRUE(has(exact)) << "Depends lacks " << exact << ": " << depends;
  }
  // The shared libraries, whose package names carry their soname's version (librocksdb7.8, libfmt9).
  for (const char* prefix : {"librocksdb", "libfmt", "libyaml-cpp", "libabsl"}) {
    EXPECT_TRUE(has_prefix(prefix)) << "Depends lacks a " << prefix << " package: " << depends;
  }
}

// `replsim run` of the installed binary on the installed examples: every one holds its
// expectations, and drill 2.1 prints what the build tree's binary prints for the repository's copy.
void check_installed_run(const fs::path& bin, const fs::path& share, const fs::path& cwd) {
  const std::string in_cwd = "cd " + quote(cwd.string()) + " && ";
  const fs::path drill = share / "scenarios/drill-2.1-replication-lag.yaml";
  const Ran installed = sh(in_cwd + quote(bin.string()) + " run " + quote(drill.string()));
  EXPECT_EQ(installed.exit_code, 0) << installed.out;
  EXPECT_TRUE(contains(installed.out, "acknowledged and lost on replica: 1 of 1")) << installed.out;
  EXPECT_TRUE(contains(installed.out, drill.string() + ": 3 of 3 expectations held")) << installed.out;

  const fs::path repo_drill = kSource / "scenarios/drill-2.1-replication-lag.yaml";
  const Ran built = sh(in_cwd + quote((kBuild / "replsim").string()) + " run " + quote(repo_drill.string()));
  std::string expected = built.out;
  for (size_t at; (at = expected.find(repo_drill.string())) != std::string::npos;) {
    expected.replace(at, repo_drill.string().size(), drill.string());
  }
  EXPECT_EQ(installed.out, expected);

  // The installed timing profile is the one compiled in: naming it changes nothing.
  const fs::path timing = share / "timing/default.json";
  const Ran timed = sh(in_cwd + quote(bin.string()) + " run --timing " + quote(timing.string()) + " " +
                       quote(drill.string()));
  EXPECT_EQ(timed.exit_code, 0) << timed.out;
  EXPECT_EQ(timed.out, installed.out);

  const Ran all = sh(in_cwd + quote(bin.string()) + " run --quiet " + quote((share / "scenarios").string()) +
                     "/*.yaml");
  EXPECT_EQ(all.exit_code, 0) << all.out;
  // Each example's summary line: all of its expectations held.
  const std::regex held(R"((\d+) of (\d+) expectations held)");
  for (const auto& name : yaml_names(share / "scenarios")) {
    const std::string prefix = (share / "scenarios" / name).string() + ": ";
    const size_t at = all.out.find(prefix);
    ASSERT_NE(at, std::string::npos) << name << " did not run:\n" << all.out;
    const std::string line = all.out.substr(at, all.out.find('\n', at) - at);
    std::smatch m;
    EXPECT_TRUE(std::regex_search(line, m, held) && m[1] == m[2]) << line;
  }
  // Running wrote nothing beside the user (the examples stay read-only where installed).
  EXPECT_TRUE(fs::is_empty(cwd));
}

// The installed man page renders without a groff warning and holds every command's options.
void check_man_page(const fs::path& page, const fs::path& bin) {
  const Ran man = sh("LC_ALL=C MANWIDTH=80 MANPAGER=cat man -l " + quote(page.string()) + " 2>&1");
  EXPECT_EQ(man.exit_code, 0) << man.out;
  for (const char* heading : {"NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "FILES"}) {
    EXPECT_TRUE(contains(man.out, std::string("\n") + heading + "\n")) << heading << "\n" << man.out;
  }
  const Ran warnings = sh("zcat " + quote(page.string()) + " | groff -man -Tutf8 -ww -z 2>&1");
  EXPECT_EQ(warnings.exit_code, 0);
  EXPECT_EQ(warnings.out, "") << "groff warns about the man page";

  // Each command the binary lists, and each option `run --help` shows, is on the page.
  for (const char* command : {"run", "verify", "runs", "wal", "wal dump", "check", "compare", "calibrate"}) {
    EXPECT_TRUE(contains(man.out, std::string("replsim ") + command + "\n")) << command << "\n" << man.out;
  }
  const Ran help = sh(quote(bin.string()) + " run --help");
  std::istringstream words(help.out);
  int options = 0;
  for (std::string w; words >> w;) {
    if (w.rfind("--", 0) != 0 || w.find_first_of("$`'(),") != std::string::npos) continue;
    ++options;
    EXPECT_TRUE(contains(man.out, w)) << "the man page lacks run's " << w;
  }
  EXPECT_GE(options, 5) << help.out;
}

TEST(InstallTest, DebianPackageInstallsIntoAScratchRootAndRuns) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  const fs::path deb = build_package(scratch.path() / "package");
  ASSERT_FALSE(deb.empty());

  const Ran depends = sh("dpkg-deb -f " + quote(deb.string()) + " Depends");
  ASSERT_EQ(depends.exit_code, 0) << depends.out;
  const std::vector<std::string> names = depends_names(trim(depends.out));
  check_depends(names, depends.out);

  // Without --force-depends: dpkg checks the Depends field against this machine's packages.
  // --path-include keeps a host's path-exclude (as minimal images set for /usr/share) away.
  const fs::path root = scratch.path() / "root";
  seed_dpkg_database(root, names);
  const std::string dpkg = "dpkg --root=" + quote(root.string()) + " --force-not-root ";
  const Ran install = sh(dpkg + "--path-include='/usr/share/*' -i " + quote(deb.string()) + " 2>&1");
  ASSERT_EQ(install.exit_code, 0) << install.out;
  const Ran status = sh("dpkg-query --admindir=" + quote((root / "var/lib/dpkg").string()) +
                        " -W -f='${Status} ${Version}' replsim");
  EXPECT_EQ(status.out, "install ok installed " REPLSIM_VERSION);

  const fs::path share = root / "usr/share/replsim";
  EXPECT_EQ(yaml_names(share / "scenarios"), yaml_names(kSource / "scenarios"));
  fs::create_directories(scratch.path() / "cwd");
  check_installed_run(root / "usr/bin/replsim", share, scratch.path() / "cwd");
  check_man_page(root / "usr/share/man/man1/replsim.1.gz", root / "usr/bin/replsim");

  const Ran remove = sh(dpkg + "-r replsim 2>&1");
  EXPECT_EQ(remove.exit_code, 0) << remove.out;
  EXPECT_FALSE(fs::exists(root / "usr/bin/replsim"));
  EXPECT_FALSE(fs::exists(share));
}

// `cmake --install` to a prefix: the same files, the binary runs an example from there.
TEST(InstallTest, CmakeInstallPutsTheBinaryManPageProfileAndExamplesUnderThePrefix) {
  ScratchDir scratch;
  ASSERT_FALSE(scratch.path().empty());
  const fs::path prefix = scratch.path() / "prefix";
  const Ran install = sh(quote(REPLSIM_CMAKE) + " --install " + quote(kBuild.string()) + " --prefix " +
                         quote(prefix.string()) + " 2>&1");
  ASSERT_EQ(install.exit_code, 0) << install.out;
  EXPECT_TRUE(fs::exists(prefix / "bin/replsim"));
  EXPECT_TRUE(fs::exists(prefix / "share/man/man1/replsim.1.gz"));
  EXPECT_TRUE(fs::exists(prefix / "share/replsim/timing/default.json"));
  EXPECT_EQ(yaml_names(prefix / "share/replsim/scenarios"), yaml_names(kSource / "scenarios"));

  const fs::path drill = prefix / "share/replsim/scenarios/drill-2.1-sync.yaml";
  const Ran run = sh(quote((prefix / "bin/replsim").string()) + " run " + quote(drill.string()));
  EXPECT_EQ(run.exit_code, 0) << run.out;
  EXPECT_TRUE(contains(run.out, drill.string() + ": ")) << run.out;
  EXPECT_TRUE(contains(run.out, "expectations held")) << run.out;
}

}  // namespace
