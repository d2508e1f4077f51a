// embed.js: the drop-in for platform.twitter.com/widgets.js, embed.bsky.app's embed.js and
// Mastodon's embed.js. It upgrades every blockquote.twitter-tweet, blockquote.bluesky-embed,
// blockquote.mastodon-embed and iframe.mastodon-embed whose post we have archived into our
// iframe, leaves the others as they are, and never sets a cookie or calls anyone but the server
// it was loaded from. A page with posts not archived yet is reported to that server once
// (archive on first view, for the origins it allows), and those posts are asked for again with
// backoff until they are archived.
#include "embed/render.h"

namespace stillpost::embed {

std::string_view EmbedJs() {
  static constexpr std::string_view kJs = R"js((function () {
  "use strict";
  if (window.stillpost && window.stillpost.load) return;
  var script = document.currentScript;
  var src = script ? new URL(script.src, location.href) : null;
  // Where the archive is: the script's own URL less "/embed.js", so a deployment under a path
  // (https://news.example/archive/embed.js) keeps it; messages come from its origin.
  var origin = src ? src.origin : location.origin;
  var base = src ? origin + src.pathname.replace(/\/embed\.js$/, "") : origin;
  var STATUS = /^https?:\/\/(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com\/(?:#!\/)?(?:[^\/?#]+\/status(?:es)?|i\/web\/status|i\/status)\/(\d{1,19})(?:[\/?#]|$)/i;
  var BSKY_URI = /^at:\/\/(did:[a-z]+:[A-Za-z0-9._:%-]+)\/app\.bsky\.feed\.post\/([A-Za-z0-9._:~-]{1,512})$/;
  var BSKY_URL = /^https:\/\/bsky\.app\/profile\/(did:[a-z]+:[A-Za-z0-9._:%-]+)\/post\/([A-Za-z0-9._:~-]{1,512})(?:[\/?#]|$)/;
  var MASTODON = /^https:\/\/([A-Za-z0-9.-]+\.[A-Za-z0-9-]+)\/(?:@[A-Za-z0-9_.-]+(?:@[A-Za-z0-9.-]+)?|users\/[A-Za-z0-9_.-]+\/statuses)\/(\d{1,30})(?:\/embed)?(?:[?#]|$)/;
  var SELECTOR = "blockquote.twitter-tweet,blockquote.bluesky-embed,blockquote.mastodon-embed,iframe.mastodon-embed";
  var MIN = 250, MAX = 550;

  // The last link in `el` that `re` matches, as the match.
  function lastLink(el, re) {
    var links = el.querySelectorAll("a[href]"), found = null;
    for (var i = 0; i < links.length; i++) {
      var m = re.exec(links[i].getAttribute("href"));
      if (m) found = m;
    }
    return found;
  }

  // A key part that stays one path segment: no "/", "?", "#", "\\", and not "." or "..".
  var SEGMENT = /^[A-Za-z0-9._:%~-]+$/;
  function segment(s) { return SEGMENT.test(s) && s !== "." && s !== ".."; }

  // The post key an embed names, or null. The DID is used as the page wrote it, never decoded:
  // the archive keys a did:web port as %3A, and a decoded %2F or %3F would leave the segment.
  function keyOf(el) {
    var m, parts;
    if (el.classList.contains("twitter-tweet")) {
      m = lastLink(el, STATUS);
      return m ? "x/" + m[1] : null;
    }
    if (el.classList.contains("bluesky-embed")) {
      m = BSKY_URI.exec(el.getAttribute("data-bluesky-uri") || "") || lastLink(el, BSKY_URL);
      parts = m ? [m[1], m[2]] : null;
      return parts && segment(parts[0]) && segment(parts[1]) ? "bsky/" + parts[0] + "/" + parts[1] : null;
    }
    m = MASTODON.exec(el.getAttribute(el.tagName === "IFRAME" ? "src" : "data-embed-url") || "") ||
        (el.tagName === "IFRAME" ? null : lastLink(el, MASTODON));
    return m && segment(m[1]) ? "mastodon/" + m[1].toLowerCase() + "/" + m[2] : null;
  }

  function themeOf(el) {
    var t = el.getAttribute("data-theme") || el.getAttribute("data-bluesky-embed-color-mode");
    return t === "dark" || t === "light" ? t : null;
  }

  // The page is reported once, when it has a post we do not have: a server that archives pages of
  // this origin on first view fetches the page itself and archives its posts (POST
  // /api/v1/seen; text/plain, so no preflight). Others answer 404 or 403, and nothing follows.
  var reported = null;
  function report() {
    if (!reported) {
      reported = fetch(base + "/api/v1/seen", {method: "POST", credentials: "omit", referrerPolicy: "no-referrer",
                                                headers: {"Content-Type": "text/plain"},
                                                body: JSON.stringify({page: location.href.split("#")[0]})})
        .then(function (r) { return r.status === 202 || r.status === 200; })
        .catch(function () { return false; });
    }
    return reported;
  }
  // After a report: asked again after 2, 4, 8, 16 and 32 s, then left as it is.
  var RETRIES = [2000, 4000, 8000, 16000, 32000];

  function frameFor(quote, key) {
    var params = [];
    var theme = themeOf(quote);
    if (theme) params.push("theme=" + theme);
    if (quote.getAttribute("data-conversation") === "none") params.push("hide_thread=1");
    if (quote.getAttribute("data-cards") === "hidden") params.push("hide_media=1");
    var width = parseInt(quote.getAttribute("data-width") || quote.getAttribute("width") || "550", 10);
    if (!(width >= MIN)) width = MIN;
    if (width > MAX) width = MAX;
    var frame = document.createElement("iframe");
    frame.src = base + "/embed/" + key + (params.length ? "?" + params.join("&") : "");
    frame.title = "Archived post";
    frame.width = String(width);
    frame.height = "300";
    frame.loading = "lazy";
    frame.referrerPolicy = "no-referrer";
    frame.setAttribute("sandbox", "allow-scripts allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("scrolling", "no");
    frame.style.cssText = "border:0;display:block;max-width:100%;width:" + width + "px";
    var align = quote.getAttribute("data-align");
    if (align === "center") frame.style.margin = "10px auto";
    else if (align === "right") frame.style.margin = "10px 0 10px auto";
    else frame.style.margin = "10px 0";
    frame.className = "stillpost-embed";
    return frame;
  }

  function check(quote, key, attempt) {
    fetch(base + "/api/v1/posts/" + key, {method: "HEAD", credentials: "omit", referrerPolicy: "no-referrer"})
      .then(function (r) {
        if (r.ok) { quote.parentNode.replaceChild(frameFor(quote, key), quote); return; }
        if (attempt >= RETRIES.length) { quote.setAttribute("data-stillpost", "not-archived"); return; }
        report().then(function (archiving) {
          if (!archiving) { quote.setAttribute("data-stillpost", "not-archived"); return; }
          quote.setAttribute("data-stillpost", "archiving");
          setTimeout(function () { check(quote, key, attempt + 1); }, RETRIES[attempt]);
        });
      })
      .catch(function () { quote.setAttribute("data-stillpost", "unavailable"); });
  }

  function upgrade(quote) {
    if (quote.getAttribute("data-stillpost")) return;
    var key = keyOf(quote);
    if (!key) return;
    quote.setAttribute("data-stillpost", "pending");
    check(quote, key, 0);
  }

  // Each embed on its own: one that throws leaves it as it was and the others are upgraded.
  function tryUpgrade(quote) {
    try { upgrade(quote); } catch (e) { try { quote.setAttribute("data-stillpost", "error"); } catch (e2) {} }
  }

  function load(root) {
    var quotes = (root || document).querySelectorAll(SELECTOR);
    for (var i = 0; i < quotes.length; i++) tryUpgrade(quotes[i]);
  }

  // Every stillpost frame on the page keeps its post's height: the ones made here and the ones
  // an oEmbed answer put in (a data-maxheight caps it; the frame then scrolls).
  window.addEventListener("message", function (e) {
    if (e.origin !== origin && e.origin !== "null") return;
    var d = e.data;
    if (!d || d.type !== "stillpost:height" || typeof d.height !== "number") return;
    var list = document.querySelectorAll("iframe.stillpost-embed");
    for (var i = 0; i < list.length; i++) {
      if (list[i].contentWindow !== e.source) continue;
      var cap = parseInt(list[i].getAttribute("data-maxheight") || "5000", 10);
      if (!(cap > 0 && cap <= 5000)) cap = 5000;
      list[i].height = String(Math.max(50, Math.min(d.height, cap)));
    }
  });

  window.stillpost = {load: load};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { load(); });
  else load();
  if (window.MutationObserver) {
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        var added = records[i].addedNodes;
        for (var j = 0; j < added.length; j++) {
          var n = added[j];
          if (n.nodeType !== 1) continue;
          if (n.matches && n.matches(SELECTOR)) tryUpgrade(n);
          else if (n.querySelectorAll) load(n);
        }
      }
    }).observe(document.documentElement, {childList: true, subtree: true});
  }
})();
)js";
  return kJs;
}

}  // namespace stillpost::embed
