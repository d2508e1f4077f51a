#include "embed/view_json.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <boost/algorithm/string/case_conv.hpp>

#include "common/time.h"
#include "common/web.h"

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

boost::json::value Scalar(const Message& m, const FieldDescriptor* f, int index, int depth);

boost::json::object Object(const Message& m, int depth) {
  boost::json::object out;
  if (depth > kMaxDepth) return out;
  const auto* r = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->is_repeated()) {
      boost::json::array list;
      for (int i = 0; i < r->FieldSize(m, f); ++i) {
        boost::json::value v = Scalar(m, f, i, depth);
        if (!v.is_null()) list.push_back(std::move(v));
      }
      if (!list.empty()) out[f->name()] = std::move(list);
    } else {
      boost::json::value v = Scalar(m, f, -1, depth);
      if (!v.is_null()) out[f->name()] = std::move(v);
    }
  }
  return out;
}

// One value of a field (index -1: a singular field); null for what is left out.
boost::json::value Scalar(const Message& m, const FieldDescriptor* f, int i, int depth) {
  const auto* r = m.GetReflection();
  const bool rep = i >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(m, f, i) : r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(m, f, i) : r->GetInt64(m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(m, f, i) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(m, f, i) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(m, f, i) : r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return static_cast<double>(rep ? r->GetRepeatedFloat(m, f, i) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(m, f, i) : r->GetBool(m, f);
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* v = rep ? r->GetRepeatedEnum(m, f, i) : r->GetEnum(m, f);
      if (v->number() == 0) return nullptr;  // unspecified: absent
      return boost::json::value(EnumWord(*v));
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string s = rep ? r->GetRepeatedString(m, f, i) : r->GetString(m, f);
      if (IsUrlField(*f) && !IsHttpUrl(s)) return nullptr;
      if (s.empty()) return nullptr;
      return boost::json::value(ValidUtf8(s));
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub = rep ? r->GetRepeatedMessage(m, f, i) : r->GetMessage(m, f);
      if (sub.GetDescriptor()->full_name() == "google.protobuf.Timestamp") {
        const auto& ts = static_cast<const google::protobuf::Timestamp&>(sub);
        return boost::json::value(
            FormatRfc3339(google::protobuf::util::TimeUtil::TimestampToMicroseconds(ts)));
      }
      boost::json::object o = Object(sub, depth + 1);
      if (o.empty()) return nullptr;
      return o;
    }
  }
  return nullptr;
}

std::string When(const google::protobuf::Timestamp& ts) {
  return FormatRfc3339(google::protobuf::util::TimeUtil::TimestampToMicroseconds(ts));
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
  if (state.has_gone_since()) o["gone_since"] = When(state.gone_since());
  if (state.has_last_checked()) o["last_checked"] = When(state.last_checked());
  o["capture_count"] = state.capture_count();
  return o;
}

}  // namespace

boost::json::object MessageJson(const Message& message) { return Object(message, 0); }

std::string StateWord(const proto::PostState& state) {
  if (state.current() == proto::PostState::CURRENT_GONE) return GoneWord(state.gone_kind());
  return state.has_latest_good() && state.latest_good().partial() ? "partial" : "live";
}

std::string CaptureWord(const proto::Capture& c) {
  if (c.has_tombstone()) return GoneWord(c.tombstone().kind());
  return c.partial() ? "partial" : "post";
}

boost::json::object PostJson(std::string_view key, const proto::PostState& state,
                             const std::vector<proto::Capture>& captures) {
  boost::json::object o = StateFields(key, state);
  if (state.has_first_seen()) o["first_seen"] = When(state.first_seen());
  if (state.has_latest_good_at()) o["latest_good_at"] = When(state.latest_good_at());
  if (state.has_latest_good()) o["latest_good"] = MessageJson(state.latest_good());
  if (!captures.empty()) {
    boost::json::array list;
    for (const auto& c : captures) {
      boost::json::object item;
      item["captured_at"] = When(c.captured_at());
      item["state"] = CaptureWord(c);
      if (c.http_status() != 0) item["http_status"] = c.http_status();
      list.push_back(std::move(item));
    }
    o["captures"] = std::move(list);
  }
  return o;
}

boost::json::object PostSummaryJson(std::string_view key, const proto::PostState& state) {
  boost::json::object o = StateFields(key, state);
  if (state.has_latest_good()) {
    const proto::Post& p = state.latest_good().post();
    if (!p.author().handle().empty()) o["author"] = ValidUtf8(p.author().handle());
    if (p.has_created_at()) o["created_at"] = When(p.created_at());
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
  if (article.has_scanned_at()) o["scanned_at"] = When(article.scanned_at());
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
