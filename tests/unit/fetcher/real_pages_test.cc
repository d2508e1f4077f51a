// The scanner on real saved pages (tests/fixtures/articles/real/SOURCES.md): every post an
// article references, and nothing else. Prints recall and false posts over the corpus.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "fetcher/article.h"
#include "tests/support/fixtures.h"

namespace stillpost::fetcher {
namespace {

std::vector<std::string> ExpectedKeys(const std::string& name) {
  std::vector<std::string> keys;
  std::istringstream in(testing::Fixture("articles/real/" + name + ".expected"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') keys.push_back(line);
  }
  return keys;
}

TEST_CASE("real pages: every post of each article is found, and nothing else") {
  const std::filesystem::path dir = std::string(STILLPOST_FIXTURES) + "/articles/real";
  std::vector<std::string> pages;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".html") pages.push_back(e.path().stem().string());
  }
  std::sort(pages.begin(), pages.end());
  REQUIRE(pages.size() >= 25);
  size_t expected_total = 0, found_total = 0, false_total = 0, pages_with_posts = 0;
  for (const auto& name : pages) {
    const std::vector<std::string> expected = ExpectedKeys(name);
    const auto scanned = ScanArticle(testing::Fixture("articles/real/" + name + ".html"),
                                     "file://" + (dir / (name + ".html")).string());
    std::vector<std::string> got;
    for (const auto& p : scanned.posts) got.push_back(p.key);
    const std::set<std::string> want(expected.begin(), expected.end());
    size_t hits = 0, false_posts = 0;
    for (const auto& k : got) (want.count(k) > 0 ? hits : false_posts)++;
    expected_total += expected.size();
    found_total += hits;
    false_total += false_posts;
    if (!expected.empty()) ++pages_with_posts;
    INFO(name << ": scanned " << scanned.scope << " " << scanned.scope_path);
    CHECK(got == expected);  // the article's posts, in document order
  }
  std::cout << "real pages: " << pages.size() << " pages (" << pages_with_posts
            << " with posts), recall " << found_total << "/" << expected_total << " = "
            << (expected_total == 0 ? 100.0 : 100.0 * double(found_total) / double(expected_total))
            << "%, " << false_total << " false posts\n";
  CHECK(found_total == expected_total);
  CHECK(false_total == 0);
}

TEST_CASE("real pages: --whole-page also finds the sidebar's posts") {
  ScanOptions whole;
  whole.whole_page = true;
  const auto a = ScanArticle(testing::Fixture("articles/real/ms-anandtech.html"),
                             "file:///ms-anandtech.html", whole);
  CHECK(a.scope == "whole-page");
  CHECK(a.posts.size() == 15);  // the "latest tweets" sidebar widget
  const auto main =
      ScanArticle(testing::Fixture("articles/real/ms-anandtech.html"), "file:///ms-anandtech.html");
  CHECK(main.scope == "main-content");
  CHECK(main.posts.empty());
}

}  // namespace
}  // namespace stillpost::fetcher
