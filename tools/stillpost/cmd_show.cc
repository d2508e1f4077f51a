#include <google/protobuf/util/time_util.h>

#include <boost/json/serialize.hpp>
#include <iostream>

#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/time.h"
#include "fetcher/archiver.h"
#include "fetcher/x.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

using google::protobuf::util::TimeUtil;

std::string When(const google::protobuf::Timestamp& ts) {
  return FormatRfc3339(TimeUtil::TimestampToMicroseconds(ts));
}

std::string TombstoneName(proto::Tombstone::Kind kind) {
  return std::string(fetcher::TombstoneKindName(kind));
}

std::string MediaKindName(proto::Media::Kind kind) {
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

// One line per capture: time, outcome.
std::string CaptureLine(const proto::Capture& c) {
  std::string line = When(c.captured_at()) + "  ";
  if (c.has_post()) {
    line += "post";
    if (c.partial()) line += " (partial: " + c.partial_reason() + ")";
  } else {
    line += TombstoneName(c.tombstone().kind());
    if (!c.tombstone().upstream_text().empty()) {
      line += ": \"" + Printable(c.tombstone().upstream_text()) + "\"";
    }
  }
  if (c.http_status() != 0) line += "  [HTTP " + std::to_string(c.http_status()) + "]";
  return line;
}

void PrintPost(const proto::Post& p, const std::string& indent) {
  std::cout << indent << Printable(p.author().display_name()) << " (@"
            << Printable(p.author().handle()) << ")";
  if (p.has_created_at()) std::cout << " · " << When(p.created_at());
  std::cout << '\n';
  if (!p.reply_to_key().empty()) std::cout << indent << "replying to " << p.reply_to_key() << '\n';
  std::cout << indent << Printable(p.text(), true) << '\n';
  for (const auto& m : p.media()) {
    std::cout << indent << "[" << MediaKindName(m.kind()) << " " << m.width() << "x" << m.height()
              << " " << Printable(m.mime()) << " " << (m.blob().empty() ? "not stored" : m.blob())
              << "]\n";
  }
  if (!p.card().url().empty()) {
    std::cout << indent << "[card: " << Printable(p.card().title()) << " — "
              << Printable(p.card().domain()) << "]\n";
  }
  if (p.has_quoted()) {
    std::cout << indent << "quoting " << p.quoted_key() << ":\n";
    PrintPost(p.quoted(), indent + "  ");
  } else if (!p.quoted_key().empty()) {
    std::cout << indent << "quoting " << p.quoted_key() << " (" << Printable(p.quoted_unavailable())
              << ")\n";
  }
}

// A post key as given, or what a post URL (any platform), at:// URI or bare X id names. What
// looks like a key and is not one gets the key's own reason.
Result<PostRef> RefOf(const std::string& input) {
  auto key = ParsePostKey(input);
  if (key || input.find("://") != std::string::npos || input.find('/') == std::string::npos) {
    return ParsePostRef(input);
  }
  return key.error();
}

}  // namespace

int RunShow(const GlobalOptions& global, const ShowOptions& options_in) {
  ShowOptions options = options_in;
  auto ref = RefOf(options.key);
  if (!ref) {
    std::cerr << "stillpost: " << ref.error().message() << '\n';
    return kExitUsage;
  }
  auto store = OpenStoreForReading(global);
  if (!store) return Fail(store.error());
  auto key = archive::KeyOfRef(**store, *ref);
  if (!key) return Fail(key.error());
  options.key = *key;
  auto state = (*store)->State(options.key);
  if (!state) return Fail(state.error());
  auto captures = (*store)->Captures(options.key);
  if (!captures) return Fail(captures.error());

  if (options.json) {
    proto::PostState summary = *state;
    summary.clear_latest_good();
    boost::json::object o;
    o["key"] = options.key;
    o["state"] = ProtoToJson(summary);
    o["latest_good"] = state->has_latest_good() ? ProtoToJson(state->latest_good()) : nullptr;
    boost::json::array list;
    for (const auto& c : *captures) {
      boost::json::object item;
      item["captured_at"] = When(c.captured_at());
      item["outcome"] = c.has_post() ? "post" : "tombstone";
      if (c.has_tombstone()) item["tombstone"] = ProtoToJson(c.tombstone());
      item["http_status"] = c.http_status();
      item["partial"] = c.partial();
      list.push_back(std::move(item));
    }
    o["captures"] = std::move(list);
    std::cout << boost::json::serialize(o) << '\n';
    return kExitOk;
  }

  const bool live = state->current() == proto::PostState::CURRENT_LIVE;
  std::cout << options.key << "  "
            << (live ? "live"
                     : TombstoneName(state->gone_kind()) + " since " + When(state->gone_since()))
            << "  (" << state->capture_count() << " capture"
            << (state->capture_count() == 1 ? "" : "s") << ", first seen "
            << When(state->first_seen()) << ")\n";
  if (state->has_latest_good()) {
    const proto::Capture& c = state->latest_good();
    // The request URL carries long feature flags; up to the first '&' says where it came from.
    const std::string source = c.source_url().substr(0, c.source_url().find('&'));
    std::cout << "latest good capture " << When(c.captured_at()) << " from " << source
              << (c.partial() ? " (partial: " + c.partial_reason() + ")" : "") << "\n\n";
    PrintPost(c.post(), "  ");
    std::cout << '\n';
  } else {
    std::cout << "never captured whole\n";
  }
  std::cout << "captures:\n";
  for (const auto& c : *captures) std::cout << "  " << CaptureLine(c) << '\n';
  return kExitOk;
}

}  // namespace stillpost::cli
