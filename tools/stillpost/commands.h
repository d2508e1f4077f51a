// The stillpost CLI's subcommands. main.cc parses the command line with CLI11 and calls one Run*
// function; each returns the process exit code and prints its own errors as one line on stderr.
#pragma once

#include <memory>
#include <string>

#include "archive/store.h"
#include "common/status.h"

namespace stillpost::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the command ran and something failed
inline constexpr int kExitUsage = 2;    // the command line was wrong

struct GlobalOptions {
  std::string db;  // --db, else $STILLPOST_DB, else ./stillpost.db
};

// Prints "stillpost: <message>" on stderr and returns kExitFailure.
int Fail(const Status& status);

// Opens the store named by the global options; `create` for commands that write.
Result<std::unique_ptr<archive::Store>> OpenStore(const GlobalOptions& global, bool create);

struct StatsOptions {
  bool json = false;
};
int RunStats(const GlobalOptions& global, const StatsOptions& options);

struct ShowOptions {
  std::string key;
  bool json = false;
};
int RunShow(const GlobalOptions& global, const ShowOptions& options);

}  // namespace stillpost::cli
