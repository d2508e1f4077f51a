// The CLI as a new user meets it (issue [2/8]): options that take one value each, global options
// anywhere, stdin, range checks, no duplicate captures, partial captures repaired, reading while a
// writer runs, list / show ARTICLE / history's changes. The real binary against upstream-replay.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/store.h"
#include "tests/support/archive_env.h"
#include "tests/support/run.h"
#include "tests/support/sample.h"

namespace stillpost {
namespace {

using testing::Run;
using testing::StillpostBinary;
using Env = testing::ArchiveEnv;

const std::string kPhoto = "1641086480675225601";
const std::string kReply = "883326060983353344";
const std::string kParent = "883302522549305344";
const std::string kSeedArticle = std::string(STILLPOST_FIXTURES) + "/seed-article/article.html";

size_t Captures(const std::string& db, const std::string& key) {
  auto store = archive::Store::OpenReadOnly(db, {});
  if (!store) return 0;
  auto c = (*store)->Captures(key);
  return c ? c->size() : 0;
}

size_t Lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST_CASE("user cli: a repeatable option takes one value, the next word is an input again") {
  Env env;
  // The id after --upstream's value is a post, not a second upstream.
  auto r =
      Run(StillpostBinary(), {"--db", env.db, "archive", "--upstream", env.replay.upstream_flag(),
                              kPhoto, "--allow-private-upstreams"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("x/" + kPhoto + "  captured") == 0);
  auto again = Run(StillpostBinary(), {"recheck", "--upstream", env.replay.upstream_flag(),
                                       "x/" + kPhoto, "--db", env.db, "--allow-private-upstreams"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("x/" + kPhoto + "  unchanged") == 0);
}

TEST_CASE("user cli: --db and --json before or after the command") {
  Env env;
  REQUIRE(env.Archive({kPhoto}).exit_code == 0);
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--db", env.db, "--json", "stats"},
                                             {"stats", "--db", env.db, "--json"},
                                             {"--json", "stats", "--db", env.db}}) {
    auto r = Run(StillpostBinary(), args);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(boost::json::parse(r.out).as_object().at("posts").as_int64() == 1);
  }
  // Errors are JSON with --json, and still one line on stderr.
  auto missing = Run(StillpostBinary(), {"--json", "show", "x/42", "--db", env.db});
  CHECK(missing.exit_code == 1);
  CHECK(Lines(missing.err) == 1);
  CHECK(boost::json::parse(missing.out).as_object().at("code") == "not_found");
}

TEST_CASE("user cli: --from - reads stdin, rewrite takes a URL or stdin") {
  Env env;
  auto r = Run(StillpostBinary(),
               {"--db", env.db, "archive", "--from", "-", "--upstream", env.replay.upstream_flag(),
                "--allow-private-upstreams"},
               {}, "# two posts\n" + kPhoto + "\n\nhttps://x.com/a/status/" + kReply + "\n");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("2 posts: 2 captured") != std::string::npos);

  std::ifstream in(kSeedArticle);
  std::ostringstream page;
  page << in.rdbuf();
  auto from_stdin =
      Run(StillpostBinary(), {"rewrite", "-", "--base", "https://archive.example"}, {}, page.str());
  CHECK(from_stdin.exit_code == 0);
  CHECK(from_stdin.out.find("https://archive.example/embed.js") != std::string::npos);
  auto by_url =
      Run(StillpostBinary(),
          {"rewrite", "https://www.example-news.test/news/trump-and-putin-meet-face-face-video",
           "--base", "https://archive.example", "--upstream", env.replay.upstream_flag(),
           "--allow-private-upstreams"});
  INFO(by_url.err);
  CHECK(by_url.exit_code == 0);
  CHECK(by_url.out == from_stdin.out);
}

TEST_CASE("user cli: output follows input order, whichever post finishes first") {
  Env env;
  // The first post answers last.
  REQUIRE(env.replay.Admin("fault", "https://cdn.syndication.twimg.com/tweet-result?id=" + kPhoto,
                           "kind=latency&ms=800") == 200);
  auto r = env.Archive({"--json", kPhoto, kReply, kParent});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::vector<std::string> keys;
  for (std::string line; std::getline(lines, line);) {
    keys.emplace_back(boost::json::parse(line).as_object().at("key").as_string());
  }
  CHECK(keys == std::vector<std::string>{"x/" + kPhoto, "x/" + kReply, "x/" + kParent});
}

TEST_CASE("user cli: nonsense values are usage errors that name the accepted range") {
  Env env;
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"archive", "--max-connections", "0", kPhoto}, "not in range 1 to 1024"},
      {{"archive", "--max-connections", "-1", kPhoto}, "not in range 1 to 1024"},
      {{"archive", "--attempts", "0", kPhoto}, "not in range 1 to 20"},
      {{"archive", "--timeout-ms", "0", kPhoto}, "not in range 1 to 3600000"},
      {{"serve", "--listen", "nonsense"}, "--listen"},
      {{"serve", "--public-url", "not a url"}, "not 'not a url'"},
      {{"list", "--state", "sleeping"}, "sleeping"},
      {{"recheck", "--older-than", "soon", "--all"}, "like 6h"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--db", env.db};
    args.insert(args.end(), c.args.begin(), c.args.end());
    auto r = Run(StillpostBinary(), args);
    INFO(c.args[0] << " " << c.args[1] << " " << c.args[2] << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(Lines(r.err) == 1);
    CHECK(r.err.find(c.says) != std::string::npos);
  }
}

TEST_CASE("user cli: archiving an unchanged post again stores nothing, --force re-captures") {
  Env env;
  REQUIRE(env.Archive({kPhoto}).exit_code == 0);
  for (int i = 0; i < 3; ++i) {
    auto again = env.Archive({kPhoto});
    CHECK(again.exit_code == 0);
    CHECK(again.out.find("x/" + kPhoto + "  unchanged") == 0);
    CHECK(again.out.find("0 captured, 0 gone, 0 failed, 0 partial, 1 unchanged") !=
          std::string::npos);
  }
  CHECK(Captures(env.db, "x/" + kPhoto) == 1);
  auto forced = env.Archive({kPhoto, "--force"});
  CHECK(forced.out.find("x/" + kPhoto + "  captured") == 0);
  CHECK(Captures(env.db, "x/" + kPhoto) == 2);
}

TEST_CASE("user cli: a partial capture exits 3, is repaired by recheck, and readers see no error") {
  Env env;
  const std::string photo = "https://pbs.twimg.com/media/FsZNOgcWAAEQtrd?format=jpg&name=orig";
  REQUIRE(env.replay.Admin("fault", photo, "kind=500&times=0") == 200);
  auto first = env.Archive({kPhoto, "--attempts", "1"});
  INFO(first.out << first.err);
  CHECK(first.exit_code == 3);
  CHECK(first.out.find("1 partial") != std::string::npos);
  {
    auto store = archive::Store::OpenReadOnly(env.db, {});
    REQUIRE_OK(store);
    auto latest = (*store)->LatestGood("x/" + kPhoto);
    REQUIRE_OK(latest);
    CHECK(latest->partial());
  }
  auto listed = Run(StillpostBinary(), {"--db", env.db, "list", "--state", "partial"});
  CHECK(listed.out.find("x/" + kPhoto + "  partial") == 0);

  // Unchanged while the photo still fails: nothing stored, still partial.
  auto still = env.Fetch("recheck", {"x/" + kPhoto, "--attempts", "1"});
  CHECK(still.out.find("unchanged") != std::string::npos);
  REQUIRE(env.replay.Admin("restore", photo, "") == 200);
  auto repaired = env.Fetch("recheck", {"x/" + kPhoto});
  INFO(repaired.out << repaired.err);
  CHECK(repaired.exit_code == 0);
  CHECK(repaired.out.find("x/" + kPhoto + "  captured  [repaired]") == 0);
  CHECK(Captures(env.db, "x/" + kPhoto) == 2);
  auto history = Run(StillpostBinary(), {"--db", env.db, "history", "x/" + kPhoto});
  CHECK(history.out.find("partial  first capture") != std::string::npos);
  CHECK(history.out.find("live  repaired") != std::string::npos);
  CHECK(Run(StillpostBinary(), {"--db", env.db, "list", "--state", "partial"}).out.empty());
}

TEST_CASE(
    "user cli: list, show ARTICLE and recheck --article FILE while a writer holds the store") {
  Env env;
  auto archived = env.Archive({kSeedArticle, "https://x.com/a/status/1"});
  INFO(archived.out << archived.err);
  REQUIRE(archived.exit_code == 0);
  REQUIRE(env.replay.Admin("gone", "https://cdn.syndication.twimg.com/tweet-result?id=" + kParent,
                           "as=404") == 200);
  REQUIRE(env.Fetch("recheck", {"--article", kSeedArticle}).exit_code == 0);

  // A writer holds the store meanwhile: every read-only command still answers.
  auto held = archive::Store::Open(env.db, {});
  REQUIRE_OK(held);
  auto all = Run(StillpostBinary(), {"--db", env.db, "list"});
  INFO(all.err);
  CHECK(all.exit_code == 0);
  CHECK(Lines(all.out) == 3);  // the never-found x/1 is not an archived post
  CHECK(all.out.find("x/1 ") == std::string::npos);
  auto gone = Run(StillpostBinary(), {"--db", env.db, "list", "--state", "gone", "--json"});
  REQUIRE(Lines(gone.out) == 1);
  CHECK(boost::json::parse(gone.out).as_object().at("key").as_string() == ("x/" + kParent).c_str());
  auto not_found = Run(StillpostBinary(), {"--db", env.db, "list", "--state", "not-found"});
  CHECK(not_found.out.find("x/" + kParent + "  not found") == 0);
  CHECK(Run(StillpostBinary(), {"--db", env.db, "list", "--platform", "mastodon"}).out.empty());
  auto never = Run(StillpostBinary(), {"--db", env.db, "list", "--state", "never-found"});
  CHECK(never.out.find("x/1  not found") == 0);
  CHECK(Lines(never.out) == 1);

  auto article = Run(StillpostBinary(), {"--db", env.db, "show", kSeedArticle});
  INFO(article.err);
  CHECK(article.exit_code == 0);
  CHECK(article.out.find("3 posts: 2 live, 1 not found") != std::string::npos);
  CHECK(article.out.find("  x/" + kParent + "  not found since ") != std::string::npos);
  auto json = Run(StillpostBinary(), {"--db", env.db, "--json", "show", kSeedArticle});
  auto doc = boost::json::parse(json.out).as_object();
  CHECK(doc.at("posts").as_array().size() == 3);
  CHECK(doc.at("posts").as_array()[1].as_object().at("state") == "not_found");
  CHECK(doc.at("counts").as_object().at("live").as_int64() == 2);
  auto by_article = Run(StillpostBinary(), {"--db", env.db, "list", "--article", kSeedArticle});
  CHECK(Lines(by_article.out) == 3);
  CHECK(by_article.out.find("x/883275154715705344") == 0);  // article order

  auto stats = Run(StillpostBinary(), {"--db", env.db, "stats"});
  CHECK(stats.out.find("posts     3 (and 1 never found whole") != std::string::npos);
  for (const char* cmd : {"history", "show"}) {
    auto r = Run(StillpostBinary(), {"--db", env.db, cmd, "x/" + kReply});
    INFO(cmd << ": " << r.err);
    CHECK(r.exit_code == 0);
  }
}

TEST_CASE("user cli: history says what an edit changed") {
  testing::TempDir dir;
  {
    auto store = archive::Store::Open(dir.Sub("db"), {});
    REQUIRE_OK(store);
    auto a = testing::SampleCapture("20", 1700000000000000, 1);
    a.set_content_digest("first");
    auto b = testing::SampleCapture("20", 1700000060000000, 2);
    b.mutable_post()->set_text("Revision 2 of a post, now with a correction");
    b.set_content_digest("changed");
    b.mutable_post()->clear_media();
    REQUIRE_OK((*store)->AddCapture("x/20", a));
    REQUIRE_OK((*store)->AddCapture("x/20", b));
  }
  auto r = Run(StillpostBinary(), {"--db", dir.Sub("db"), "history", "x/20"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("edited: text \"") != std::string::npos);
  auto j = Run(StillpostBinary(), {"--db", dir.Sub("db"), "history", "x/20", "--json"});
  auto doc = boost::json::parse(j.out).as_object();
  const auto& second = doc.at("captures").as_array()[1].as_object();
  CHECK(second.at("change") == "edited");
  CHECK(second.at("changes").as_object().at("text").as_object().at("added").as_string().size() > 0);
}

}  // namespace
}  // namespace stillpost
