#include "tools/stillpost/jobs.h"

#include <curl/curl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "common/web.h"
#include "service/service.h"
#include "tools/stillpost/output.h"

namespace stillpost::cli {
namespace {

namespace json = boost::json;

struct HttpAnswer {
  long status = 0;
  std::string body;
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One request to the local server (libcurl, no proxy, loopback only by construction).
Result<HttpAnswer> Call(const std::string& url, const std::string& token, const std::string* body) {
  std::unique_ptr<CURL, void (*)(CURL*)> e(curl_easy_init(), curl_easy_cleanup);
  if (!e) return InternalError("libcurl cannot create a transfer");
  HttpAnswer answer;
  curl_slist* headers = nullptr;
  const std::string auth = "Authorization: Bearer " + token;
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> list(headers, curl_slist_free_all);
  curl_easy_setopt(e.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(e.get(), CURLOPT_PROXY, "");
  curl_easy_setopt(e.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(e.get(), CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(e.get(), CURLOPT_HTTPHEADER, list.get());
  curl_easy_setopt(e.get(), CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(e.get(), CURLOPT_WRITEDATA, &answer.body);
  if (body != nullptr) {
    curl_easy_setopt(e.get(), CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(e.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  const CURLcode rc = curl_easy_perform(e.get());
  if (rc != CURLE_OK) return UnavailableError(url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(e.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

std::string ErrorOf(const HttpAnswer& a) {
  boost::system::error_code ec;
  json::value v = json::parse(a.body, ec);
  if (!ec && v.is_object()) {
    if (const json::value* e = v.as_object().if_contains("error"); e && e->is_string()) {
      return std::string(e->as_string());
    }
  }
  return "HTTP " + std::to_string(a.status);
}

}  // namespace

std::optional<ServerHandle> ServerOwning(const std::string& db) {
  std::ifstream in(std::filesystem::path(db) / kServerFile);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(text.str(), ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  const json::value* url = o.if_contains("url");
  const json::value* token = o.if_contains("token");
  if (url == nullptr || token == nullptr || !url->is_string() || !token->is_string()) {
    return std::nullopt;
  }
  return ServerHandle{std::string(url->as_string()), std::string(token->as_string())};
}

Result<Writer> OpenWriter(const GlobalOptions& global, bool create) {
  Writer w;
  auto store = OpenStore(global, create);
  if (store) {
    w.store = std::move(*store);
    return w;
  }
  if (store.error().code() == StatusCode::kUnavailable) {
    if (auto server = ServerOwning(global.db)) {
      w.server = std::move(server);
      return w;
    }
  }
  return store.error();
}

void JobPrinter::Article(const proto::JobArticle& a) {
  if (json_) return;
  const auto& article = a.article();
  if (!a.error().empty()) {
    std::cout << "article " << Printable(article.url()) << ": not read (" << Printable(a.error())
              << ")\n";
    return;
  }
  std::cout << "article " << Printable(article.url())
            << (article.title().empty() ? "" : " (" + Printable(article.title()) + ")") << ": "
            << Plural(a.found(), "post");
  if (dry_run_) {
    std::cout << ", scanned " << article.scope()
              << (article.scope_path().empty() ? "" : " " + Printable(article.scope_path()));
  }
  std::cout << '\n';
}

void JobPrinter::Outcome(const fetcher::PostOutcome& o) {
  waiting_.emplace(o.index, o);
  for (auto it = waiting_.find(next_); it != waiting_.end(); it = waiting_.find(next_)) {
    Line(it->second);
    waiting_.erase(it);
    ++next_;
  }
}

void JobPrinter::Line(const fetcher::PostOutcome& o) {
  // On a terminal, a progress line on stderr under the per-post lines; elsewhere just the lines.
  const bool progress = isatty(STDERR_FILENO) == 1 && total_ > 1;
  if (progress) std::cerr << "\r\033[K" << std::flush;
  switch (o.kind) {
    case fetcher::PostOutcome::Kind::kCaptured:
      ++(o.partial ? partial_ : captured_);
      break;
    case fetcher::PostOutcome::Kind::kGone:
      ++gone_;
      break;
    case fetcher::PostOutcome::Kind::kFailed:
      ++failed_;
      break;
    case fetcher::PostOutcome::Kind::kUnchanged:
      ++unchanged_;
      break;
    case fetcher::PostOutcome::Kind::kNotAPost:
      ++not_posts_;
      break;
  }
  media_ += static_cast<size_t>(o.media);
  bytes_ += o.bytes_stored;
  if (json_) {
    json::object j;
    j["key"] = o.key;
    j["outcome"] = fetcher::OutcomeName(o);
    j["files"] = o.media;
    j["bytes"] = o.bytes_stored;
    if (!o.transition.empty()) j["transition"] = o.transition;
    if (!o.detail.empty()) j["detail"] = o.detail;
    std::cout << json::serialize(j) << std::endl;
    return;
  }
  std::cout << o.key << "  " << fetcher::OutcomeName(o);
  // "deleted [deleted]" says one thing twice: the transition only when it adds to the outcome.
  if (recheck_ && !o.transition.empty() && o.transition != fetcher::OutcomeName(o)) {
    std::cout << "  [" << o.transition << "]";
  }
  if (o.kind != fetcher::PostOutcome::Kind::kFailed &&
      o.kind != fetcher::PostOutcome::Kind::kUnchanged &&
      o.kind != fetcher::PostOutcome::Kind::kNotAPost) {
    std::cout << "  " << Plural(static_cast<uint64_t>(o.media), "file") << "  "
              << HumanBytes(o.bytes_stored);
  }
  if (!o.detail.empty()) std::cout << "  (" << Printable(o.detail) << ")";
  std::cout << std::endl;
  if (progress) {
    const size_t done = captured_ + partial_ + gone_ + failed_ + unchanged_ + not_posts_;
    std::cerr << "[" << done << "/" << total_ << "] " << failed_ << " failed, "
              << HumanBytes(bytes_) << std::flush;
    if (done == total_) std::cerr << "\r\033[K" << std::flush;
  }
}

int JobPrinter::Finish() {
  if (!json_) {
    std::cout << Plural(captured_ + partial_ + gone_ + failed_ + unchanged_, "post") << ": "
              << captured_ << " captured, " << gone_ << " gone, " << failed_ << " failed, "
              << partial_ << " partial, " << unchanged_ << " unchanged";
    if (not_posts_ > 0) {
      std::cout << " (" << Plural(not_posts_, "link was", "links were") << " not a post)";
    }
    std::cout << "; " << Plural(media_, "file") << ", " << HumanBytes(bytes_) << " stored\n";
  }
  if (failed_ > 0) return kExitFailure;
  return partial_ > 0 ? kExitPartial : kExitOk;
}

int RunJobHere(archive::Store& store, proto::Job job, const service::RunSettings& settings,
               JobPrinter& printer) {
  service::RunEvents events;
  events.on_article = [&](const proto::JobArticle& a) { printer.Article(a); };
  events.on_expanded = [&](const proto::Job& j) {
    printer.Total(static_cast<size_t>(j.refs_size()));
    return Status::Ok();
  };
  events.on_outcome = [&](const fetcher::PostOutcome& o) { printer.Outcome(o); };
  auto ran = service::RunJob(store, job, settings, {}, events);
  if (!ran) return Fail(ran.error());
  return printer.Finish();
}

int RunJobThere(const ServerHandle& server, const proto::Job& job, JobPrinter& printer) {
  json::object body;
  json::array urls, feeds, pages;
  for (const auto& i : job.inputs()) urls.emplace_back(i);
  for (const auto& f : job.feeds()) feeds.emplace_back(f);
  for (const auto& p : job.pages()) {
    json::object page;
    page["url"] = p.url();
    page["html"] = ValidUtf8(p.html());
    page["position"] = p.position();
    pages.push_back(std::move(page));
  }
  if (!urls.empty()) body["urls"] = std::move(urls);
  if (!feeds.empty()) body["feeds"] = std::move(feeds);
  if (!pages.empty()) body["pages"] = std::move(pages);
  if (job.force()) body["force"] = true;
  if (job.whole_page()) body["whole_page"] = true;
  if (job.recheck()) body["recheck"] = true;
  const std::string text = json::serialize(body);
  auto submitted = Call(server.url + "/api/v1/archive", server.token, &text);
  if (!submitted) {
    return Fail(UnavailableError("the server that owns the store (" + server.url +
                                 ") does not answer: " + submitted.error().message()));
  }
  if (submitted->status != 202) {
    return Fail(UnavailableError("the server at " + server.url +
                                 " refused the job: " + ErrorOf(*submitted)));
  }
  boost::system::error_code ec;
  json::value accepted = json::parse(submitted->body, ec);
  const json::value* id =
      !ec && accepted.is_object() ? accepted.as_object().if_contains("job") : nullptr;
  if (id == nullptr || !id->is_string()) {
    return Fail(DataLossError("the server's answer names no job"));
  }
  const std::string job_url = server.url + "/api/v1/jobs/" + std::string(id->as_string());
  if (isatty(STDERR_FILENO) == 1) {
    // On stderr, so that stdout stays what a local run prints.
    std::cerr << "stillpost: the server at " << server.url << " owns the store; job "
              << std::string(id->as_string()) << "\n";
  }
  size_t articles_shown = 0;
  std::set<uint32_t> printed;  // outcomes are listed by index, and arrive in any order
  bool total_set = false;
  auto wait = std::chrono::milliseconds(50);
  for (;;) {
    auto answer = Call(job_url, server.token, nullptr);
    if (!answer || answer->status != 200) {
      return Fail(UnavailableError("lost the server while job " + std::string(id->as_string()) +
                                   " ran (it finishes when the server is back: GET " + job_url +
                                   "): " + (answer ? ErrorOf(*answer) : answer.error().message())));
    }
    auto view = service::ParseJobJson(answer->body);
    if (!view) return Fail(view.error());
    const proto::Job& now = view->job;
    if (now.state() == proto::Job::STATE_FAILED) {
      for (; articles_shown < static_cast<size_t>(now.articles_size()); ++articles_shown) {
        printer.Article(now.articles(static_cast<int>(articles_shown)));
      }
      return Fail(UnavailableError(now.error()));
    }
    if (now.expanded()) {
      for (; articles_shown < static_cast<size_t>(now.articles_size()); ++articles_shown) {
        printer.Article(now.articles(static_cast<int>(articles_shown)));
      }
      if (!total_set) {
        printer.Total(static_cast<size_t>(now.refs_size()));
        total_set = true;
      }
      for (const auto& o : view->outcomes) {
        if (printed.insert(o.index()).second) printer.Outcome(service::OutcomeFromProto(o));
      }
    }
    if (now.state() == proto::Job::STATE_DONE) return printer.Finish();
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(500));
  }
}

}  // namespace stillpost::cli
