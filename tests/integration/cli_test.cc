// The stillpost binary as a user runs it: exit codes, one-line errors, text and JSON output.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "archive/store.h"
#include "tests/support/run.h"
#include "tests/support/sample.h"
#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

using testing::Run;
using testing::StillpostBinary;
using testing::TempDir;

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_CASE("cli: stats on a new path prints zeros and creates nothing") {
  TempDir dir;
  auto r = Run(StillpostBinary(), {"--db", dir.Sub("new"), "stats"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("posts     0\n") != std::string::npos);
  CHECK(r.out.find("captures  0\n") != std::string::npos);
  CHECK(r.out.find("blobs     0 (0 B)\n") != std::string::npos);
  auto j = Run(StillpostBinary(), {"--db", dir.Sub("new"), "stats", "--json"});
  REQUIRE(j.exit_code == 0);
  CHECK(j.out.find("\"posts\":0,\"never_found\":0,\"captures\":0") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.Sub("new")));  // read-only commands never write
}

TEST_CASE("cli: the store path comes from --db, else $STILLPOST_DB") {
  TempDir dir;
  auto r = Run(StillpostBinary(), {"stats"}, {"STILLPOST_DB=" + dir.Sub("env")});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(dir.Sub("env")) != std::string::npos);
}

TEST_CASE("cli: a regular file gives one line and a non-zero exit, a store in use is still read") {
  TempDir dir;
  const std::string file = dir.Sub("file");
  std::ofstream(file) << "not a store";
  auto r = Run(StillpostBinary(), {"--db", file, "stats"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "stillpost: not a stillpost store: " + file + " is not a directory\n");

  auto held = archive::Store::Open(dir.Sub("db"), {});
  REQUIRE_OK(held);
  REQUIRE_OK((*held)->AddCapture("x/20", testing::SampleCapture("20", 1700000000000000, 1)));
  // Reading beside the writer: read-only, and it sees what the writer has written (the WAL).
  auto busy = Run(StillpostBinary(), {"--db", dir.Sub("db"), "stats"});
  INFO(busy.err);
  CHECK(busy.exit_code == 0);
  CHECK(busy.out.find("posts     1\n") != std::string::npos);
  auto show = Run(StillpostBinary(), {"--db", dir.Sub("db"), "show", "x/20"});
  CHECK(show.exit_code == 0);
  // A second writer is still refused, in one line.
  auto writer = Run(StillpostBinary(), {"--db", dir.Sub("db"), "recheck", "--all"});
  CHECK(writer.exit_code == 1);
  CHECK(writer.err == "stillpost: store " + dir.Sub("db") + " is in use by another process\n");
}

TEST_CASE("cli: show prints a post, its state and its captures") {
  TempDir dir;
  {
    auto store = archive::Store::Open(dir.Sub("db"), {});
    REQUIRE_OK(store);
    REQUIRE_OK((*store)->AddCapture("x/20", testing::SampleCapture("20", 1700000000000000, 1)));
    REQUIRE_OK((*store)->AddCapture("x/20", testing::TombstoneCapture("20", 1700000060000000)));
  }
  auto r = Run(StillpostBinary(), {"--db", dir.Sub("db"), "show", "x/20"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("x/20  deleted since 2023-11-14T22:14:20Z  (2 captures") == 0);
  CHECK(r.out.find("Revision 1 of a post with #tag") != std::string::npos);
  CHECK(
      r.out.find("2023-11-14T22:14:20Z  deleted: \"This Post was deleted by the Post author.\"") !=
      std::string::npos);

  auto j = Run(StillpostBinary(), {"--db", dir.Sub("db"), "show", "--json", "x/20"});
  REQUIRE(j.exit_code == 0);
  CHECK(Lines(j.out) == 1);
  CHECK(j.out.find("\"key\":\"x/20\"") != std::string::npos);
  CHECK(j.out.find("\"state\":\"deleted\"") != std::string::npos);
  CHECK(j.out.find("CURRENT_") == std::string::npos);             // words, not enum names
  CHECK(j.out.find("\"capture_count\":2") != std::string::npos);  // numbers, not strings
}

TEST_CASE("cli: bad input gets one line on stderr and a non-zero exit") {
  TempDir dir;
  const std::string db = dir.Sub("db");
  REQUIRE_OK(archive::Store::Open(db, {}));  // an empty store

  struct Case {
    std::vector<std::string> args;
    int exit_code;
    std::string err_start;
  };
  const std::vector<Case> cases = {
      {{"--db", db, "show", "x/999"}, 1, "stillpost: no post x/999 in the archive"},
      {{"--db", db, "show", "x/notanid"}, 2, "stillpost: malformed post key 'x/notanid'"},
      {{"--db", dir.Sub("missing"), "show", "x/1"}, 1, "stillpost: no stillpost store at"},
      {{"--db", db, "frobnicate"}, 2, "stillpost: "},
      {{"--db", db, "stats", "--bogus"}, 2, "stillpost: "},
      {{}, 2, "stillpost: "},
  };
  for (const auto& c : cases) {
    auto r = Run(StillpostBinary(), c.args);
    INFO(r.err);
    CHECK(r.exit_code == c.exit_code);
    CHECK(r.err.rfind(c.err_start, 0) == 0);
    CHECK(Lines(r.err) == 1);
  }
  auto unknown = Run(StillpostBinary(), {"--db", db, "frobnicate"});
  CHECK(unknown.err ==
        "stillpost: unknown command 'frobnicate' (commands: stats, show, list, export, import, "
        "keys, archive, recheck, "
        "history, rewrite, serve, watch)\n");
  auto flag = Run(StillpostBinary(), {"--db", db, "stats", "--bogus"});
  CHECK(flag.err.find("stats accepts: -h,--help, --json") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.Sub("missing")));
}

TEST_CASE("cli: --version and --help answer on stdout and exit 0") {
  auto v = Run(StillpostBinary(), {"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("stillpost ", 0) == 0);
  auto h = Run(StillpostBinary(), {"show", "--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("--json") != std::string::npos);
}

}  // namespace
}  // namespace stillpost

namespace stillpost {
namespace {

TEST_CASE(
    "cli: serve and rewrite refuse what would listen everywhere or write a script into pages") {
  TempDir dir;
  REQUIRE_OK(archive::Store::Open(dir.Sub("db"), {}));
  std::ofstream(dir.Sub("page.html")) << "<p>x</p>";
  const std::vector<std::vector<std::string>> cases = {
      {"serve", "--listen", "[::1:18140"},
      {"serve", "--listen", ":8080"},
      {"serve", "--listen", "::1:8080"},
      {"serve", "--threads", "100000"},
      {"serve", "--public-url", "javascript:alert(1)"},
      {"serve", "--public-url", "https://a.example/\"><script>"},
      {"rewrite", dir.Sub("page.html"), "--base", "\"><script>alert(1)</script>"},
      {"rewrite", dir.Sub("page.html"), "--base", "javascript:alert(1)"},
  };
  for (auto args : cases) {
    args.insert(args.begin(), {"--db", dir.Sub("db")});
    auto r = Run(StillpostBinary(), args);
    INFO(args[2] << " " << args[3] << " " << args.back() << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Lines(r.err) == 1);
    CHECK(r.out.empty());
  }
}

}  // namespace
}  // namespace stillpost
