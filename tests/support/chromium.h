// Debian's chromium as the browser tests drive it: headless, no network of its own, a fresh
// profile per run.
#pragma once

#include <string>
#include <vector>

namespace stillpost::testing {

inline constexpr const char* kChromium = "/usr/bin/chromium";

inline std::vector<std::string> ChromiumArgs(const std::string& profile) {
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--disable-quic",
          "--hide-scrollbars",
          "--user-data-dir=" + profile};
}

}  // namespace stillpost::testing
