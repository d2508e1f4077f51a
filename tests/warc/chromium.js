// Debian's chromium as the browser tests drive it (tests/support/chromium.h has the same flags
// for the C++ side): headless, no network of its own, a fresh profile per run.
"use strict";
const { chromium } = require("playwright-core");

exports.launch = (executablePath, profile, extraArgs = []) =>
  chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", ...extraArgs],
  });
