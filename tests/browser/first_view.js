// Archive on first view, in Chromium (playwright-core): opens a publisher page whose embed.js
// finds a post not archived yet, and waits for our iframe to replace the blockquote. Prints the
// iframe's src. Arguments: CHROMIUM PROFILE_DIR HOST_RESOLVER_RULES URL TIMEOUT_MS.
"use strict";
const { chromium } = require("playwright-core");

(async () => {
  const [executablePath, profile, rules, url, timeoutMs] = process.argv.slice(2);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           "--host-resolver-rules=" + rules],
  });
  try {
    const page = await context.newPage();
    await page.goto(url);
    const before = await page.locator("blockquote.twitter-tweet").count();
    const frame = await page.waitForSelector("iframe.stillpost-embed", { timeout: Number(timeoutMs) });
    console.log("blockquotes-before " + before);
    console.log("iframe " + (await frame.getAttribute("src")));
    console.log("blockquotes-after " + (await page.locator("blockquote.twitter-tweet").count()));
  } finally {
    await context.close();
  }
})().catch((e) => {
  console.error(String(e));
  process.exit(1);
});
