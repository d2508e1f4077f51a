// serve --config FILE: a TOML file (toml++) whose keys are serve's flag names, with dashes or
// underscores (auto_archive_origin = ["https://news.example"]); an array gives a repeatable
// flag each value. Flags on the command line win over the file. Unknown keys are errors.
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <string>
#include <vector>

namespace stillpost::cli {

class TomlConfig : public CLI::Config {
 public:
  // `command`: the subcommand whose flags the keys are.
  explicit TomlConfig(std::string command) : command_(std::move(command)) {}
  std::string to_config(const CLI::App*, bool, bool, std::string) const override { return {}; }
  // Throws CLI::ConfigError (a CLI11 parse error, reported as a usage error) for a file that
  // is not TOML or holds a table.
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  std::string command_;
};

}  // namespace stillpost::cli
