#include "tools/stillpost/output.h"

#include <utf8.h>

#include <array>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "common/web.h"
#include "stillpost.pb.h"
#include "tools/stillpost/commands.h"

namespace stillpost::cli {

std::string MediaKindName(int kind) {
  switch (kind) {
    case proto::Media::KIND_PHOTO:
      return "photo";
    case proto::Media::KIND_VIDEO:
      return "video";
    case proto::Media::KIND_GIF:
      return "gif";
    case proto::Media::KIND_AUDIO:
      return "audio";
    default:
      return "media";
  }
}

std::string Plural(uint64_t n, std::string_view one, std::string_view many) {
  std::string out = std::to_string(n) + " ";
  if (n == 1) return out.append(one);
  if (!many.empty()) return out.append(many);
  return out.append(one).append("s");
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

namespace {
bool json_errors = false;

void PrintError(std::string_view code, const std::string& message) {
  std::cerr << "stillpost: " << Printable(message) << '\n';
  if (json_errors) {
    boost::json::object o;
    o["error"] = ValidUtf8(message);
    std::string word(code);
    for (char& c : word) c = c == ' ' ? '_' : c;
    o["code"] = word;
    std::cout << boost::json::serialize(o) << std::endl;
  }
}
}  // namespace

void SetJsonErrors(bool json) { json_errors = json; }

int Fail(const Status& status) {
  PrintError(StatusCodeName(status.code()), status.message());
  return kExitFailure;
}

int UsageFail(const std::string& message) {
  PrintError("usage", message);
  return kExitUsage;
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
