#include <google/protobuf/util/time_util.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "common/post_key.h"
#include "common/post_ref.h"
#include "common/time.h"
#include "common/web.h"
#include "fetcher/archiver.h"
#include "fetcher/article.h"
#include "fetcher/page.h"
#include "fetcher/x/x.h"
#include "proto/time.h"
#include "service/run.h"
#include "tools/stillpost/commands.h"
#include "tools/stillpost/jobs.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

// Inputs as given: arguments, then the lines of --from (blank lines and # comments skipped).
Result<std::vector<std::string>> Inputs(const ArchiveOptions& options) {
  std::vector<std::string> inputs = options.posts;
  if (!options.from.empty()) {
    std::ifstream file;
    if (options.from != "-") {
      file.open(options.from);
      if (!file) return NotFoundError("cannot read " + options.from);
    }
    std::istream& in = options.from == "-" ? std::cin : file;
    std::string line;
    while (std::getline(in, line)) {
      const size_t start = line.find_first_not_of(" \t\r");
      if (start == std::string::npos || line[start] == '#') continue;
      inputs.push_back(line.substr(start, line.find_last_not_of(" \t\r") - start + 1));
    }
  }
  return inputs;
}

}  // namespace

Result<std::pair<std::string, std::string>> LoadPage(const std::string& input,
                                                     const fetcher::HttpOptions& http) {
  if (input == "-") {
    std::ostringstream body;
    body << std::cin.rdbuf();
    return std::make_pair(body.str(), std::string());
  }
  if (!IsHttpUrl(input)) {
    std::ifstream in(input, std::ios::binary);
    if (!in) return NotFoundError("cannot read " + input);
    std::ostringstream body;
    body << in.rdbuf();
    return std::make_pair(body.str(), "file://" + std::filesystem::absolute(input).string());
  }
  auto page = fetcher::FetchPage(input, http);
  if (!page) return page.error();
  return std::make_pair(std::move(page->html), std::move(page->url));
}

int RunArchive(const GlobalOptions& global, const ArchiveOptions& options) {
  auto inputs = Inputs(options);
  if (!inputs) return Fail(inputs.error());
  if (inputs->empty()) {
    return UsageFail(
        "archive needs a post (URL, key or X id), an article (URL or .html file), or --from FILE");
  }
  auto http = HttpOptionsFrom(options.fetch);
  if (!http) return UsageFail(http.error().message());
  // The job: posts and article URLs as given, article files (and stdin) as their HTML, in order.
  proto::Job job;
  job.set_force(options.force);
  job.set_whole_page(options.whole_page);
  for (const auto& input : *inputs) {
    const bool file =
        input == "-" || (!IsHttpUrl(input) && std::filesystem::is_regular_file(input));
    if (file && !ParsePostRef(input, options.fetch.nitter_hosts)) {
      auto page = LoadPage(input, *http);
      if (!page) return Fail(page.error());
      auto* p = job.add_pages();
      p->set_html(std::move(page->first));
      p->set_url(std::move(page->second));
      p->set_position(static_cast<uint32_t>(job.inputs_size()));
      continue;
    }
    if (auto kind = service::ClassifyInput(input, options.fetch.nitter_hosts); !kind) {
      return UsageFail(kind.error().message());
    }
    job.add_inputs(input);
  }
  service::RunSettings settings;
  settings.archive = ArchiveOptionsFrom(options.fetch, std::move(*http));
  if (options.dry_run) {
    JobPrinter printer(global.json, /*recheck=*/false, /*dry_run=*/true);
    service::RunEvents events;
    events.on_article = [&](const proto::JobArticle& a) { printer.Article(a); };
    std::vector<fetcher::FoundPost> found;
    if (Status s = service::Expand(nullptr, job, settings, events, &found); !s.ok()) {
      return Fail(s);
    }
    for (const auto& p : found) {
      const std::string key = p.key.empty() ? "(handle " + p.ref.bsky_handle + ")" : p.key;
      if (global.json) {
        boost::json::object j;
        j["key"] = p.key;
        j["url"] = p.url;
        j["found_as"] = p.found_as;
        if (p.ref.NeedsResolving()) j["resolve"] = p.ref.bsky_handle;
        if (p.ref.unverified) j["unverified"] = true;
        std::cout << boost::json::serialize(j) << '\n';
      } else {
        std::cout << Printable(key) << "  " << p.found_as << "  " << Printable(p.url)
                  << (p.ref.unverified ? "  (unverified: is this host a Mastodon server?)" : "")
                  << '\n';
      }
    }
    return kExitOk;
  }
  auto writer = OpenWriter(global, /*create=*/true);
  if (!writer) return Fail(writer.error());
  JobPrinter printer(global.json, /*recheck=*/false);
  if (writer->server) return RunJobThere(*writer->server, job, printer);
  return RunJobHere(*writer->store, std::move(job), settings, printer);
}

}  // namespace stillpost::cli
