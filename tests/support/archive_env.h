// A temp store and a running upstream-replay, and the stillpost CLI pointed at both: the fixture
// of the end-to-end archive tests.
#pragma once

#include <string>
#include <vector>

#include "tests/support/replay.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace stillpost::testing {

struct ArchiveEnv {
  TempDir dir;
  ReplayServer replay{ReplayRoot()};
  std::string db = dir.Sub("db");

  // `stillpost --db DB COMMAND --upstream '*=REPLAY' ...` for a fetching command.
  RunResult Fetch(const std::string& command, std::vector<std::string> args,
                  bool allow_private = true) {
    std::vector<std::string> all = {
        "--db", db, command, "--upstream", replay.upstream_flag(), "--backoff-ms", "50"};
    if (allow_private) all.push_back("--allow-private-upstreams");
    all.insert(all.end(), args.begin(), args.end());
    return Run(StillpostBinary(), all);
  }
  RunResult Archive(std::vector<std::string> args, bool allow_private = true) {
    return Fetch("archive", std::move(args), allow_private);
  }
  RunResult Show(const std::string& key, bool json = false) {
    std::vector<std::string> args = {"--db", db, "show", key};
    if (json) args.push_back("--json");
    return Run(StillpostBinary(), args);
  }
};

}  // namespace stillpost::testing
