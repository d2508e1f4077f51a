#include "embed/view_json.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <boost/algorithm/string/case_conv.hpp>
#include <memory>

#include "common/crypto.h"
#include "common/time.h"
#include "common/web.h"
#include "proto/time.h"

namespace stillpost::embed {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Our messages nest three deep (a quote's quote, a reply's parent); deeper is not ours.
constexpr int kMaxDepth = 16;

bool IsUrlField(const FieldDescriptor& f) {
  const std::string& n = f.name();
  auto ends = [&](std::string_view t) {
    return n.size() >= t.size() && n.compare(n.size() - t.size(), t.size(), t) == 0;
  };
  return ends("url") || ends("urls") || n == "target";
}

// KIND_NOT_FOUND -> "not_found": the value's name less the prefix every value of its enum
// shares (KIND_, CURRENT_, PLATFORM_, VERIFIED_), in lower case.
std::string EnumWord(const google::protobuf::EnumValueDescriptor& v) {
  const auto* e = v.type();
  std::string prefix = e->value(0)->name();
  for (int i = 1; i < e->value_count(); ++i) {
    const std::string& n = e->value(i)->name();
    size_t k = 0;
    while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
    prefix.resize(k);
  }
  prefix.resize(prefix.rfind('_') == std::string::npos ? 0 : prefix.rfind('_') + 1);
  return boost::algorithm::to_lower_copy(v.name().substr(prefix.size()));
}

void Clean(Message& m, int depth) {
  if (depth > kMaxDepth) return;
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) {
          Clean(*r->MutableRepeatedMessage(&m, f, i), depth + 1);
        }
      } else {
        Message* sub = r->MutableMessage(&m, f);
        Clean(*sub, depth + 1);
        // Absent, not {}: a part with nothing in it (an author with no fields) is left out.
        if (sub->ByteSizeLong() == 0) r->ClearField(&m, f);
      }
      continue;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_STRING ||
        f->type() == FieldDescriptor::TYPE_BYTES) {
      continue;
    }
    if (f->is_repeated()) {
      // Kept in order; a URL that is not a web link is taken out.
      std::vector<std::string> kept;
      std::string scratch;
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        const std::string& v = r->GetRepeatedStringReference(m, f, i, &scratch);
        if (!IsUrlField(*f) || IsHttpUrl(v)) kept.push_back(ValidUtf8(v));
      }
      r->ClearField(&m, f);
      for (auto& v : kept) r->AddString(&m, f, std::move(v));
    } else {
      std::string scratch, storage;
      const std::string& v = r->GetStringReference(m, f, &scratch);
      if (IsUrlField(*f) && !IsHttpUrl(v)) {
        r->ClearField(&m, f);
      } else if (const std::string_view valid = ValidUtf8View(v, storage);
                 valid.data() != v.data()) {
        r->SetString(&m, f, std::string(valid));  // repaired: a copy with U+FFFD
      }
    }
  }
}

std::string GoneWord(proto::Tombstone::Kind kind) {
  if (kind == proto::Tombstone::KIND_UNSPECIFIED || kind == proto::Tombstone::KIND_UNKNOWN) {
    return "gone";
  }
  return EnumWord(*proto::Tombstone::Kind_descriptor()->FindValueByNumber(kind));
}

}  // namespace

std::string StateWord(const proto::PostState& state);

namespace {

// What every view of a post starts with: its key, its state word, since when, how often seen.
boost::json::object StateFields(std::string_view key, const proto::PostState& state) {
  boost::json::object o;
  o["key"] = key;
  o["state"] = StateWord(state);
  if (state.has_gone_since()) o["gone_since"] = proto::FormatTimestamp(state.gone_since());
  if (state.has_last_checked()) o["last_checked"] = proto::FormatTimestamp(state.last_checked());
  o["capture_count"] = state.capture_count();
  return o;
}

}  // namespace

void WebOnly(Message& message) { Clean(message, 0); }

boost::json::object SigningKeyJson(const proto::SigningKey& k) {
  boost::json::object o;
  o["id"] = k.id();
  o["algorithm"] = "ECDSA P-384, SHA-256; signature r||s base64; key SPKI base64";
  o["public_key"] = Base64Encode(k.public_spki());
  o["valid_from"] = FormatRfc3339(proto::MicrosOf(k.valid_from()));
  o["valid_until"] = k.has_valid_until()
                         ? boost::json::value(FormatRfc3339(proto::MicrosOf(k.valid_until())))
                         : boost::json::value(nullptr);
  o["origin"] = k.origin();
  return o;
}

Result<std::string> ViewJson(const Message& message) {
  std::unique_ptr<Message> copy(message.New());
  copy->CopyFrom(message);
  WebOnly(*copy);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (auto s = google::protobuf::util::MessageToJsonString(*copy, &out, options); !s.ok()) {
    return InternalError("cannot print " + message.GetDescriptor()->name() +
                         " as JSON: " + std::string(s.message()));
  }
  return out;
}

std::string StateWord(const proto::PostState& state) {
  if (state.current() == proto::PostState::CURRENT_GONE) return GoneWord(state.gone_kind());
  return state.has_latest_good() && state.latest_good().partial() ? "partial" : "live";
}

std::string CaptureWord(const proto::Capture& c) {
  if (c.has_tombstone()) return GoneWord(c.tombstone().kind());
  return c.partial() ? "partial" : "post";
}

proto::PostView PostView(std::string_view key, const proto::PostState& state,
                         const std::vector<proto::Capture>& captures) {
  proto::PostView v;
  v.set_key(std::string(key));
  v.set_state(StateWord(state));
  if (state.has_gone_since()) *v.mutable_gone_since() = state.gone_since();
  if (state.has_first_seen()) *v.mutable_first_seen() = state.first_seen();
  if (state.has_last_checked()) *v.mutable_last_checked() = state.last_checked();
  // uint32 in the view (a JSON number, not protobuf's string for 64 bits): no post is captured
  // 4 billion times.
  v.set_capture_count(static_cast<uint32_t>(std::min<uint64_t>(state.capture_count(), UINT32_MAX)));
  if (state.has_latest_good_at()) *v.mutable_latest_good_at() = state.latest_good_at();
  if (state.has_latest_good()) *v.mutable_latest_good() = state.latest_good();
  for (const auto& c : captures) {
    auto* line = v.add_captures();
    *line->mutable_captured_at() = c.captured_at();
    line->set_state(CaptureWord(c));
    if (c.http_status() != 0) line->set_http_status(c.http_status());
  }
  return v;
}

boost::json::object PostSummaryJson(std::string_view key, const proto::PostState& state) {
  boost::json::object o = StateFields(key, state);
  if (state.has_latest_good()) {
    const proto::Post& p = state.latest_good().post();
    if (!p.author().handle().empty()) o["author"] = ValidUtf8(p.author().handle());
    if (p.has_created_at()) o["created_at"] = proto::FormatTimestamp(p.created_at());
    const std::string& text = p.text();
    const std::string line = Abbreviated(text.substr(0, text.find('\n')), 200);
    if (!line.empty()) o["text"] = line;
  }
  return o;
}

boost::json::object ArticleJson(
    const proto::Article& article,
    const std::function<std::optional<proto::PostState>(const std::string& key)>& state_of) {
  boost::json::object o;
  o["url"] = ValidUtf8(article.url());
  if (!article.fetched_url().empty() && article.fetched_url() != article.url()) {
    o["fetched_url"] = ValidUtf8(article.fetched_url());
  }
  if (!article.title().empty()) o["title"] = ValidUtf8(article.title());
  if (article.has_scanned_at()) o["scanned_at"] = proto::FormatTimestamp(article.scanned_at());
  if (!article.scope().empty()) o["scope"] = article.scope();
  boost::json::array posts;
  boost::json::object counts;
  for (int i = 0; i < article.post_keys_size(); ++i) {
    const std::optional<proto::PostState> s = state_of(article.post_keys(i));
    boost::json::object p;
    if (s) {
      p = PostSummaryJson(article.post_keys(i), *s);
    } else {
      p["key"] = article.post_keys(i);
      p["state"] = "not_archived";
    }
    const std::string word(p["state"].as_string());
    counts[word] = (counts.contains(word) ? counts[word].as_int64() : 0) + 1;
    posts.push_back(std::move(p));
  }
  o["posts"] = std::move(posts);
  o["counts"] = std::move(counts);
  return o;
}

}  // namespace stillpost::embed
