// Our schema (proto/stillpost.proto), not protobuf: stored captures are read for decades, so a
// field's number and type never change, enums start at an UNSPECIFIED zero, and one capture
// holds one outcome.
#include <google/protobuf/descriptor.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "stillpost.pb.h"

namespace stillpost {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;

// Every message's fields and every enum's values, one per line, in declaration order:
// "Capture.captured_at = 2 message google.protobuf.Timestamp".
void Describe(const Descriptor* m, std::string& out) {
  for (int i = 0; i < m->field_count(); ++i) {
    const FieldDescriptor* f = m->field(i);
    out += m->full_name() + "." + f->name() + " = " + std::to_string(f->number()) + " " +
           (f->is_repeated() ? "repeated " : "") + f->type_name();
    if (f->message_type() != nullptr) out += " " + f->message_type()->full_name();
    if (f->enum_type() != nullptr) out += " " + f->enum_type()->full_name();
    out += "\n";
  }
  for (int i = 0; i < m->nested_type_count(); ++i) Describe(m->nested_type(i), out);
  for (int i = 0; i < m->enum_type_count(); ++i) {
    const EnumDescriptor* e = m->enum_type(i);
    for (int v = 0; v < e->value_count(); ++v) {
      out += e->full_name() + "." + e->value(v)->name() + " = " +
             std::to_string(e->value(v)->number()) + "\n";
    }
  }
}

std::string SchemaText() {
  const FileDescriptor* file = proto::Capture::descriptor()->file();
  std::string out;
  for (int i = 0; i < file->message_type_count(); ++i) {
    // PostView is a view, printed and never stored: its numbers are free to change.
    if (file->message_type(i)->name() != "PostView") Describe(file->message_type(i), out);
  }
  for (int i = 0; i < file->enum_type_count(); ++i) {
    const EnumDescriptor* e = file->enum_type(i);
    for (int v = 0; v < e->value_count(); ++v) {
      out += e->full_name() + "." + e->value(v)->name() + " = " +
             std::to_string(e->value(v)->number()) + "\n";
    }
  }
  return out;
}

TEST_CASE("schema: field numbers and types only ever grow (golden: tests/fixtures/schema.txt)") {
  const std::string path = std::string(STILLPOST_FIXTURES) + "/schema.txt";
  const std::string now = SchemaText();
  if (std::getenv("STILLPOST_UPDATE_GOLDENS") != nullptr) {
    std::ofstream(path) << now;
  }
  std::ifstream in(path);
  REQUIRE(in);
  std::set<std::string> current;
  std::istringstream lines(now);
  for (std::string line; std::getline(lines, line);) current.insert(line);
  // Every field and value recorded before is still there, with its number and type: a field may
  // be added (then the golden is updated on purpose), never renumbered, retyped or dropped.
  for (std::string line; std::getline(in, line);) {
    INFO(line << " (changed or removed: stored captures would read wrong; add a new field)");
    CHECK(current.count(line) == 1);
  }
}

// *_UNSPECIFIED, or *_NONE where "none" is what an unset field means (VERIFIED_NONE).
bool ZeroMeansUnset(const std::string& name) {
  return name.find("UNSPECIFIED") != std::string::npos ||
         (name.size() > 5 && name.compare(name.size() - 5, 5, "_NONE") == 0);
}

void CheckEnumsStartUnspecified(const Descriptor* m) {
  for (int i = 0; i < m->enum_type_count(); ++i) {
    const EnumDescriptor* e = m->enum_type(i);
    INFO(e->full_name());
    REQUIRE(e->value_count() > 0);
    CHECK(e->value(0)->number() == 0);
    CHECK(ZeroMeansUnset(e->value(0)->name()));
  }
  for (int i = 0; i < m->nested_type_count(); ++i) CheckEnumsStartUnspecified(m->nested_type(i));
}

TEST_CASE("schema: every enum's zero means unset (UNSPECIFIED or NONE), never a real value") {
  const FileDescriptor* file = proto::Capture::descriptor()->file();
  for (int i = 0; i < file->message_type_count(); ++i) {
    CheckEnumsStartUnspecified(file->message_type(i));
  }
  for (int i = 0; i < file->enum_type_count(); ++i) {
    const EnumDescriptor* e = file->enum_type(i);
    INFO(e->full_name());
    CHECK(e->value(0)->number() == 0);
    CHECK(ZeroMeansUnset(e->value(0)->name()));
  }
}

TEST_CASE("schema: a capture's outcome is a post or a tombstone, never both") {
  const Descriptor* capture = proto::Capture::descriptor();
  const auto* outcome = capture->FindOneofByName("outcome");
  REQUIRE(outcome != nullptr);
  std::set<std::string> members;
  for (int i = 0; i < outcome->field_count(); ++i) members.insert(outcome->field(i)->name());
  CHECK(members == std::set<std::string>{"post", "tombstone"});
  proto::Capture c;
  c.mutable_post()->set_id("20");
  c.mutable_tombstone()->set_kind(proto::Tombstone::KIND_DELETED);
  CHECK(c.outcome_case() == proto::Capture::kTombstone);
  CHECK_FALSE(c.has_post());
}

}  // namespace
}  // namespace stillpost
