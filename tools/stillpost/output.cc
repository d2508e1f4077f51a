#include "tools/stillpost/output.h"

#include <google/protobuf/util/json_util.h>
#include <utf8.h>

#include <array>
#include <boost/json/parse.hpp>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "common/web.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

boost::json::value ProtoToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    return nullptr;
  }
  return boost::json::parse(text);
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1000 && unit + 1 < kUnits.size()) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

std::string Printable(std::string_view text, bool keep_newlines) {
  std::string valid;
  text = ValidUtf8View(text, valid);
  std::string out;
  out.reserve(text.size());
  for (auto it = text.begin(); it != text.end();) {
    const auto start = it;
    const uint32_t cp = utf8::next(it, text.end());
    if (cp == '\n') {
      out += keep_newlines ? '\n' : ' ';
    } else if (cp == '\t') {
      out += '\t';
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
      out += "\xEF\xBF\xBD";  // U+FFFD
    } else {
      out.append(start, it);
    }
  }
  return out;
}

int Fail(const Status& status) {
  std::cerr << "stillpost: " << Printable(status.message()) << '\n';
  return kExitFailure;
}

Result<std::unique_ptr<archive::Store>> OpenStoreForReading(const GlobalOptions& global) {
  return archive::Store::OpenReadOnly(global.db, archive::StoreOptions{});
}

Result<std::unique_ptr<archive::Store>> OpenStore(const GlobalOptions& global, bool create) {
  archive::StoreOptions options;
  options.create_if_missing = create;
  return archive::Store::Open(global.db, options);
}

}  // namespace stillpost::cli
