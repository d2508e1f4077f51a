// ReplayWeb.page (its prebuilt ui.js and sw.js, pinned) replays a WACZ in Chromium: a loopback
// server (this script's, test-only) serves the page, the service worker and the WACZ with byte
// ranges; the post's embed page is opened from the archive alone, and this waits until the
// replayed frame shows TEXT and an image whose URL contains IMAGE has loaded from the archive.
// Prints what it found. Arguments: CHROMIUM PROFILE WACZ RWP_DIR PAGE_URL TEXT IMAGE TIMEOUT_MS
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const path = require("node:path");
const { launch } = require("./chromium.js");

const [executablePath, profile, wacz, rwp, pageUrl, text, image, timeoutMs] = process.argv.slice(2);

function serve(req, res) {
  const url = new URL(req.url, "http://x");
  const send = (status, type, body) => {
    res.writeHead(status, { "Content-Type": type, "Content-Length": body.length });
    res.end(body);
  };
  if (url.pathname === "/") {
    const page = '<!DOCTYPE html><html><head><meta charset="utf-8"><script src="/ui.js"></script>' +
      '</head><body><replay-web-page source="/archive.wacz" url="' + pageUrl +
      '" replaybase="/replay/" embed="replayonly" style="display:block;width:600px;height:700px">' +
      "</replay-web-page></body></html>";
    return send(200, "text/html", Buffer.from(page));
  }
  if (url.pathname === "/ui.js") return send(200, "application/javascript", fs.readFileSync(path.join(rwp, "ui.js")));
  if (url.pathname === "/replay/sw.js") return send(200, "application/javascript", fs.readFileSync(path.join(rwp, "sw.js")));
  if (url.pathname === "/archive.wacz") {
    const bytes = fs.readFileSync(wacz);
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || "");
    if (!m) {
      res.writeHead(200, { "Content-Type": "application/wacz", "Content-Length": bytes.length, "Accept-Ranges": "bytes" });
      return res.end(req.method === "HEAD" ? undefined : bytes);
    }
    const start = Number(m[1]);
    const end = m[2] ? Math.min(Number(m[2]), bytes.length - 1) : bytes.length - 1;
    const part = bytes.subarray(start, end + 1);
    res.writeHead(206, { "Content-Type": "application/wacz", "Content-Length": part.length,
                         "Content-Range": `bytes ${start}-${end}/${bytes.length}`, "Accept-Ranges": "bytes" });
    return res.end(req.method === "HEAD" ? undefined : part);
  }
  send(404, "text/plain", Buffer.from("not here\n"));
}

(async () => {
  const server = http.createServer(serve);
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const base = "http://127.0.0.1:" + server.address().port + "/";
  const context = await launch(executablePath, profile);
  try {
    const page = await context.newPage();
    await page.goto(base);
    const deadline = Date.now() + Number(timeoutMs);
    let found = null;
    while (!found && Date.now() < deadline) {
      for (const frame of page.frames()) {
        if (!frame.url().includes("mp_/")) continue;
        try {
          found = await frame.evaluate(([text, image]) => {
            const body = document.body ? document.body.innerText : "";
            const img = Array.from(document.images).find((i) => i.currentSrc.includes(image));
            if (!body.includes(text) || !img || !img.complete || img.naturalWidth === 0) return null;
            return { frame: location.href, text, image: img.currentSrc, width: img.naturalWidth };
          }, [text, image]);
        } catch (e) { /* a frame navigating */ }
        if (found) break;
      }
      if (!found) await new Promise((ok) => setTimeout(ok, 250));
    }
    if (!found) {
      console.error("frames: " + page.frames().map((f) => f.url()).join(" | "));
      throw new Error("the replayed post did not show " + JSON.stringify(text) + " and its image in time");
    }
    console.log(JSON.stringify(found));
  } finally {
    await context.close();
    server.close();
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
