#include <boost/json/serialize.hpp>

#include "common/post_key.h"
#include "embed/view_json.h"
#include "server/detail/respond.h"
#include "server/routes.h"

namespace stillpost::server {

using detail::Error;
using detail::Json;

// /api/v1/posts/KEY[/captures/TIME] and /api/v1/articles?url=: the archive as JSON.
Response Router::Api(std::string_view rest) {
  std::string key(rest);
  std::string at;
  if (const size_t c = key.rfind("/captures/"); c != std::string::npos) {
    at = key.substr(c + 10);
    key = key.substr(0, c);
  }
  if (auto k = ParsePostKey(key); !k) return Error(400, k.error().message());
  if (!at.empty()) {
    auto t = ParseTime(at);
    if (!t) return Error(400, t.error().message());
    auto c = store_.CaptureAt(key, *t);
    if (!c) return Error(c.error());
    auto json = embed::ViewJson(*c);
    if (!json) return Error(json.error());
    Response r = Json(200, std::move(*json));
    r.Replace("Cache-Control", detail::kImmutable);
    return r;
  }
  auto state = store_.State(key);
  if (!state) return Error(state.error());
  auto captures = store_.Captures(key);
  if (!captures) return Error(captures.error());
  proto::PostView view = embed::PostView(key, *state, *captures);
  // Known, but only as gone: a 404 for embed.js's HEAD, with what we know in the body.
  if (!state->has_latest_good()) view.set_error("never captured whole");
  auto json = embed::ViewJson(view);
  if (!json) return Error(json.error());
  return Json(state->has_latest_good() ? 200 : 404, std::move(*json));
}

Response Router::Articles(const Query& q) {
  const std::string url = q.Get("url");
  if (url.empty()) return Error(400, "articles needs url= (the article's URL)");
  auto article = store_.GetArticle(url);
  if (!article) {
    return article.error().code() == StatusCode::kNotFound
               ? Error(404, "no archived article " + url)
               : Error(article.error());
  }
  return Json(200,
              boost::json::serialize(embed::ArticleJson(*article, [this](const std::string& k) {
                return archive::ArchivedState(store_, k);
              })));
}

}  // namespace stillpost::server

namespace stillpost::server {

// POST /api/v1/archive, GET /api/v1/jobs/ID, POST /api/v1/seen: the write side, answered by the
// service (service/service.h); 404 when this server has none (a replica, or no service).
Response Router::Write(const Request& req, WriteRoute route, std::string_view path) {
  if (service_ == nullptr) return Error(404, "no such route");
  const bool seen = route == WriteRoute::kSeen;
  const bool jobs = route == WriteRoute::kJobs;
  if (seen && req.method == "OPTIONS") {
    // A browser's preflight (embed.js sends text/plain, which needs none; other clients may).
    // The POST itself is where the origin is checked.
    Response r;
    r.status = 204;
    if (!req.origin.empty()) r.Set("Access-Control-Allow-Origin", std::string(req.origin));
    r.Set("Access-Control-Allow-Methods", "POST");
    r.Set("Access-Control-Allow-Headers", "Content-Type");
    r.Set("Access-Control-Max-Age", "86400");
    r.Set("Vary", "Origin");
    return r;
  }
  const bool is_get = req.method == "GET" || req.method == "HEAD";
  if (jobs ? !is_get : req.method != "POST") {
    Response r = Error(405, jobs ? "jobs are read with GET" : "this route takes POST");
    r.Set("Allow", jobs ? "GET, HEAD" : "POST");
    return r;
  }
  service::ApiReply reply = seen ? service_->Seen(req.origin, req.body)
                            : jobs
                                ? service_->Job(req.authorization, path.substr(path.rfind('/') + 1))
                                : service_->Archive(req.authorization, req.body);
  Response r = reply.error.ok()        ? Json(reply.status, std::move(reply.body))
               : reply.unauthenticated ? Error(401, reply.error.message())
                                       : Error(reply.error);
  r.Replace("Cache-Control", "no-store");
  if (reply.unauthenticated) r.Set("WWW-Authenticate", "Bearer realm=\"stillpost\"");
  if (!reply.allow_origin.empty()) {
    r.Set("Access-Control-Allow-Origin", std::move(reply.allow_origin));
    r.Set("Vary", "Origin");
  }
  if (reply.retry_after > 0) r.Set("Retry-After", std::to_string(reply.retry_after));
  if (!reply.location.empty()) r.Set("Location", base_path_ + reply.location);
  return r;
}

}  // namespace stillpost::server

namespace stillpost::server {

// GET /feeds/changes.atom[?article=URL]: the service's announcements (404 on a replica).
Response Router::ChangesFeed(const Query& query) {
  if (service_ == nullptr) return Error(404, "no such route (the changes feed is the writer's)");
  service::ApiReply reply = service_->ChangesFeed(query.Get("article"));
  if (!reply.error.ok()) return Error(reply.error);
  Response r;
  r.body = std::move(reply.body);
  r.Set("Content-Type", reply.content_type);
  r.Set("Cache-Control", "no-cache");
  return r;
}

}  // namespace stillpost::server
