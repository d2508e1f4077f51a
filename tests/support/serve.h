// A real `stillpost serve` process on 127.0.0.1 (port 0), and a small libcurl client.
#pragma once

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "tests/support/run.h"

namespace stillpost::testing {

class ServeProcess {
 public:
  explicit ServeProcess(const std::string& db, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--db",        db,          "serve", "--listen",
                                     "127.0.0.1:0", "--threads", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    Child c = Spawn(StillpostBinary(), args);
    pid_ = c.pid;
    out_ = c.out;
    std::string line = ReadLine(out_);
    const size_t on = line.rfind(" on ");
    if (line.rfind("serving ", 0) != 0 || on == std::string::npos) {
      throw std::runtime_error("stillpost serve: " + line);
    }
    base_ = line.substr(on + 4);
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  const std::string& base() const { return base_; }

  // SIGTERM, then the exit code and what it printed after the first line.
  std::pair<int, std::string> Stop() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    std::string rest, line;
    while (!(line = ReadLine(out_)).empty()) rest += line + "\n";
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), rest};
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string base_;
};

struct HttpResult {
  long status = 0;
  std::string body;
  std::string headers;
  long new_connections = 0;
};

// One client: keep-alive across calls.
class HttpGetter {
 public:
  HttpGetter() : easy_(curl_easy_init()) {}
  ~HttpGetter() { curl_easy_cleanup(easy_); }
  HttpResult Get(const std::string& url, const std::string& range = "", bool head = false) {
    HttpResult r;
    curl_easy_reset(easy_);
    curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy_, CURLOPT_NOBODY, head ? 1L : 0L);
    if (!range.empty()) curl_easy_setopt(easy_, CURLOPT_RANGE, range.c_str());
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Collect);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &r.headers);
    if (curl_easy_perform(easy_) == CURLE_OK) {
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &r.status);
      curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &r.new_connections);
    }
    return r;
  }

 private:
  static size_t Collect(char* p, size_t s, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, s * n);
    return s * n;
  }
  CURL* easy_;
};

}  // namespace stillpost::testing
