// A real upstream-replay process on 127.0.0.1, for integration tests, and a tiny client for its
// admin routes.
#pragma once

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "tests/support/run.h"

namespace stillpost::testing {

class ReplayServer {
 public:
  explicit ReplayServer(const std::string& root) {
    Child c = Spawn(std::string(STILLPOST_BIN_DIR) + "/upstream-replay", {"--root", root});
    pid_ = c.pid;
    const std::string line = ReadLine(c.out);
    close(c.out);
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) != 0) throw std::runtime_error("upstream-replay: " + line);
    base_ = line.substr(prefix.size());
  }
  ~ReplayServer() {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
  ReplayServer(const ReplayServer&) = delete;
  ReplayServer& operator=(const ReplayServer&) = delete;

  const std::string& base() const { return base_; }
  std::string upstream_flag() const { return "*=" + base_; }

  // POST /_replay/ROUTE?url=<upstream>&EXTRA; returns the HTTP status.
  long Admin(const std::string& route, const std::string& upstream_url,
             const std::string& extra = "") const {
    return Request("/_replay/" + route, upstream_url, extra, true, nullptr);
  }
  // How many conditional GETs of it were answered 304.
  long NotModified(const std::string& upstream_url) const {
    std::string body;
    Request("/_replay/hits", upstream_url, "", false, &body);
    const size_t at = body.find("\"not_modified\":");
    return at == std::string::npos ? -1 : std::stol(body.substr(at + 15));
  }
  long Hits(const std::string& upstream_url) const {
    std::string body;
    Request("/_replay/hits", upstream_url, "", false, &body);
    const size_t colon = body.find(':');
    return colon == std::string::npos ? -1 : std::stol(body.substr(colon + 1));
  }

 private:
  static size_t Collect(char* p, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, s * n);
    return s * n;
  }
  long Request(const std::string& path, const std::string& upstream_url, const std::string& extra,
               bool post, std::string* body) const {
    CURL* e = curl_easy_init();
    char* escaped =
        curl_easy_escape(e, upstream_url.c_str(), static_cast<int>(upstream_url.size()));
    std::string url = base_ + path + "?url=" + escaped + (extra.empty() ? "" : "&" + extra);
    curl_free(escaped);
    std::string sink;
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    if (post) curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, body != nullptr ? body : &sink);
    long status = 0;
    if (curl_easy_perform(e) == CURLE_OK) curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(e);
    return status;
  }

  pid_t pid_ = -1;
  std::string base_;
};

inline std::string ReplayRoot() { return std::string(STILLPOST_FIXTURES) + "/replay"; }

}  // namespace stillpost::testing
