// A capture's /verify/ page in Chromium (playwright-core): waits for the page's own script to
// check every manifest with WebCrypto and prints its verdict. Arguments: CHROMIUM PROFILE URL
"use strict";
const { launch } = require("./chromium.js");

(async () => {
  const [executablePath, profile, url] = process.argv.slice(2);
  const context = await launch(executablePath, profile);
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(url);
    const verdict = await page.waitForSelector("#sp-verdict[data-verified]", { timeout: 20000 });
    const lines = await page.locator("[id^=m-]").allTextContents();
    console.log(JSON.stringify({ verified: await verdict.getAttribute("data-verified"),
                                 verdict: await verdict.textContent(), lines, errors }));
  } finally {
    await context.close();
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
