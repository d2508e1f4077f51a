#include "tools/stillpost/toml_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

namespace stillpost::cli {
namespace {

// One TOML value as a flag's text; false when it is not a scalar.
bool Scalar(const toml::node& node, std::string& out) {
  if (auto s = node.value<std::string>(); s && node.is_string()) {
    out = *s;
  } else if (node.is_integer()) {
    out = std::to_string(*node.value<int64_t>());
  } else if (node.is_floating_point()) {
    std::ostringstream text;
    text << *node.value<double>();
    out = text.str();
  } else if (node.is_boolean()) {
    out = *node.value<bool>() ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::vector<CLI::ConfigItem> TomlConfig::from_config(std::istream& input) const {
  toml::table table;
  try {
    table = toml::parse(input);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << "config: " << e.description() << " (line " << e.source().begin.line << ")";
    throw CLI::ConfigError(where.str());
  }
  std::vector<CLI::ConfigItem> out;
  for (const auto& [key, node] : table) {
    CLI::ConfigItem item;
    item.parents = {command_};
    item.name = std::string(key.str());
    std::replace(item.name.begin(), item.name.end(), '_', '-');
    std::string text;
    if (const toml::array* array = node.as_array()) {
      for (const auto& element : *array) {
        if (!Scalar(element, text)) {
          throw CLI::ConfigError("config: " + item.name + " holds a value that is not a scalar");
        }
        item.inputs.push_back(text);
      }
    } else if (Scalar(node, text)) {
      item.inputs.push_back(text);
    } else {
      throw CLI::ConfigError("config: " + item.name + " is a table; keys are flag names");
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace stillpost::cli
