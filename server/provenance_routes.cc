// Provenance and Memento: /.well-known/stillpost/keys.json, /verify/KEY (a capture's signed
// manifest, checked in the reader's browser with WebCrypto), /timemap/link/KEY (RFC 7089).
#include <boost/json.hpp>

#include "archive/provenance.h"
#include "common/crypto.h"
#include "common/sha256.h"
#include "common/time.h"
#include "common/web.h"
#include "embed/render.h"
#include "embed/view_json.h"
#include "proto/time.h"
#include "server/detail/respond.h"
#include "server/routes.h"

namespace stillpost::server {
namespace {

namespace json = boost::json;
using detail::Error;
using proto::MicrosOf;

// The verify page's script: every manifest's digest recomputed, each link of the chain, each
// signature checked with the key it names (WebCrypto: ECDSA P-384, SHA-256, over the digest).
constexpr std::string_view kVerifyScript = R"JS((async function(){
var data=JSON.parse(document.getElementById("sp-data").textContent);
var enc=new TextEncoder();
function b64(s){var b=atob(s),u=new Uint8Array(b.length);for(var i=0;i<b.length;i++)u[i]=b.charCodeAt(i);return u}
function hex(buf){return Array.from(new Uint8Array(buf)).map(function(x){return x.toString(16).padStart(2,"0")}).join("")}
var keys={};
for(var k of data.keys){try{keys[k.id]=await crypto.subtle.importKey("spki",b64(k.public_key),{name:"ECDSA",namedCurve:"P-384"},false,["verify"])}catch(e){}}
var ok=true,prev=null;
for(var m of data.manifests){
 var row=document.getElementById("m-"+m.index),out=[];
 var digest="sha256:"+hex(await crypto.subtle.digest("SHA-256",enc.encode(m.manifest)));
 var parsed=JSON.parse(m.manifest);
 var d=digest===m.digest,c=prev===null||parsed.previous===prev,s=false;
 if(keys[m.key_id])s=await crypto.subtle.verify({name:"ECDSA",hash:"SHA-256"},keys[m.key_id],b64(m.signature),enc.encode(m.digest));
 out.push(d?"digest matches":"DIGEST DOES NOT MATCH");
 out.push(c?"chain holds":"CHAIN BROKEN");
 out.push(s?"signature verified (key "+m.key_id+")":"SIGNATURE NOT VERIFIED");
 if(!(d&&c&&s))ok=false;
 if(row)row.textContent=out.join(" \u00b7 ");
 prev=m.digest;
}
var v=document.getElementById("sp-verdict");
v.textContent=ok?"Verified in your browser: every manifest matches its digest, the chain is unbroken, and each signature checks with the store's published key.":"NOT verified: see the lines marked above.";
v.className=ok?"ok":"bad";
v.dataset.verified=ok?"yes":"no";
})();)JS";

constexpr std::string_view kVerifyCss =
    "body{font:15px/1.45 system-ui,sans-serif;max-width:860px;margin:2em auto;padding:0 1em;"
    "color:#0f1419}code,pre{font:13px/1.4 ui-monospace,monospace}pre{white-space:pre-wrap;"
    "word-break:break-all;background:#f4f6f8;padding:.6em;border-radius:6px}table{border-"
    "collapse:collapse}td,th{text-align:left;padding:.25em .6em;border-bottom:1px solid #e1e8ed;"
    "vertical-align:top}.ok{color:#00703c;font-weight:600}.bad{color:#b00020;font-weight:600}"
    ".shown{background:#fffbe6}";

const std::string& VerifyCsp() {
  static const std::string csp = "default-src 'none'; style-src 'sha256-" +
                                 Sha256Base64(kVerifyCss) + "'; script-src 'sha256-" +
                                 Sha256Base64(kVerifyScript) +
                                 "'; base-uri 'none'; form-action 'none'";
  return csp;
}

// Text for an HTML text node or attribute.
std::string H(std::string_view s) { return embed::HtmlEscape(s); }

// JSON inside <script type="application/json">: "</" cannot end the element.
std::string ScriptSafe(std::string s) {
  for (size_t at = s.find("</"); at != std::string::npos; at = s.find("</", at + 3)) {
    s.replace(at, 2, "<\\/");
  }
  return s;
}

}  // namespace

std::string Router::MementoLinks(const std::string& key, const std::string& original) const {
  std::string link;
  if (IsHttpUrl(original)) link = "<" + original + ">; rel=\"original\", ";
  link += "<" + options_.public_base + "/embed/" + key + ">; rel=\"timegate\", <" +
          options_.public_base + "/timemap/link/" + key +
          ">; rel=\"timemap\"; type=\"application/link-format\"";
  return link;
}

Response Router::Keys() {
  auto keys = store_.SigningKeys();
  if (!keys) return Error(keys.error());
  json::array list;
  for (const auto& k : *keys) list.push_back(embed::SigningKeyJson(k));
  json::object o;
  o["keys"] = std::move(list);
  o["how"] =
      "Each capture's manifest is signed: ECDSA P-384 with SHA-256 over the string "
      "\"sha256:<hex SHA-256 of the manifest bytes>\"; signatures are raw r||s, base64.";
  Response r;
  r.body = json::serialize(o) + "\n";
  r.Set("Content-Type", "application/json");
  r.Set("Cache-Control", "public, max-age=300");
  r.Set("Access-Control-Allow-Origin", "*");
  return r;
}

Response Router::TimeMap(const std::string& key) {
  auto captures = store_.Captures(key);
  if (!captures) return Error(captures.error());
  std::string original;
  std::vector<int64_t> times;
  bool seen_good = false;
  for (const auto& c : *captures) {
    if (c.has_post()) {
      seen_good = true;
      original = c.post().url();
    }
    // A capture before the first whole one has no embed to show: no memento.
    if (seen_good) times.push_back(MicrosOf(c.captured_at()));
  }
  if (times.empty()) return Error(404, key + " was never captured whole");
  const std::string& base = options_.public_base;
  std::string body;
  if (IsHttpUrl(original)) body += "<" + original + ">; rel=\"original\",\n";
  body += "<" + base + "/timemap/link/" + key +
          ">; rel=\"self\"; type=\"application/link-format\"; from=\"" +
          FormatHttpDate(times.front()) + "\"; until=\"" + FormatHttpDate(times.back()) + "\",\n";
  body += "<" + base + "/embed/" + key + ">; rel=\"timegate\"";
  for (size_t i = 0; i < times.size(); ++i) {
    std::string rel = "memento";
    if (i == 0) rel = "first " + rel;
    if (i + 1 == times.size())
      rel = (times.size() == 1 ? "first last " : "last ") + std::string("memento");
    body += ",\n<" + base + "/embed/" + key + "?capture=" + FormatRfc3339(times[i]) + ">; rel=\"" +
            rel + "\"; datetime=\"" + FormatHttpDate(times[i]) + "\"";
  }
  body += "\n";
  Response r;
  r.body = std::move(body);
  r.Set("Content-Type", "application/link-format");
  r.Set("Cache-Control", "public, max-age=60");
  r.Set("Access-Control-Allow-Origin", "*");
  return r;
}

Response Router::Verify(const std::string& key, const Query& query) {
  auto captures = store_.Captures(key);
  if (!captures) return Error(captures.error());
  if (captures->empty()) return Error(404, key + " is not archived");
  // capture=TIME: the newest capture at or before it; else the newest.
  size_t shown = captures->size() - 1;
  if (const std::string at_text = query.Get("capture"); !at_text.empty()) {
    std::string t = at_text;
    std::replace(t.begin(), t.end(), ' ', '+');
    auto at = ParseTime(t);
    if (!at) return Error(400, at.error().message());
    bool found = false;
    for (size_t i = 0; i < captures->size(); ++i) {
      if (MicrosOf((*captures)[i].captured_at()) <= *at) {
        shown = i;
        found = true;
      }
    }
    if (!found) return Error(404, "no capture of " + key + " at or before " + at_text);
  }
  auto keys = store_.SigningKeys();
  if (!keys) return Error(keys.error());

  json::array manifests;
  std::string rows;
  for (size_t i = 0; i < captures->size(); ++i) {
    const proto::Capture& c = (*captures)[i];
    const int64_t t = MicrosOf(c.captured_at());
    auto m = store_.Manifest(key, t);
    rows += i == shown ? "<tr class=\"shown\">" : "<tr>";
    rows += "<td><a href=\"" + H(base_path_ + "/verify/" + key + "?capture=" + FormatRfc3339(t)) +
            "\">" + H(FormatRfc3339(t)) + "</a></td><td>" + H(c.has_post() ? "post" : "gone") +
            "</td>";
    if (!m) {
      rows += "<td>no manifest (captured before stillpost signed its captures)</td></tr>\n";
      continue;
    }
    rows += "<td><code>" + H(m->digest()) + "</code><br><span id=\"m-" + std::to_string(i) +
            "\">checking…</span></td></tr>\n";
    json::object o;
    o["index"] = i;
    o["manifest"] = m->manifest();
    o["digest"] = m->digest();
    o["signature"] = m->signature();
    o["key_id"] = m->key_id();
    manifests.push_back(std::move(o));
  }
  const proto::Capture& c = (*captures)[shown];
  const int64_t t = MicrosOf(c.captured_at());
  auto manifest = store_.Manifest(key, t);
  const proto::HttpExchange& x = c.exchange();

  json::array key_list;
  for (const auto& k : *keys) key_list.push_back(embed::SigningKeyJson(k));
  json::object data;
  data["key"] = key;
  data["manifests"] = std::move(manifests);
  data["keys"] = std::move(key_list);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n";
  html += "<title>Verify " + H(key) + " at " + H(FormatRfc3339(t)) + "</title>\n<style>";
  html += kVerifyCss;
  html += "</style>\n</head>\n<body>\n<h1>What stillpost fetched</h1>\n";
  html += "<p id=\"sp-verdict\">Checking in your browser…</p>\n<table>\n";
  auto row = [&html](std::string_view name, const std::string& value) {
    html += "<tr><th>" + H(name) + "</th><td>" + value + "</td></tr>\n";
  };
  row("post", "<code>" + H(key) + "</code> · <a href=\"" +
                  H(base_path_ + "/embed/" + key + "?capture=" + FormatRfc3339(t)) +
                  "\">the embed as captured</a>");
  row("captured at", H(FormatRfc3339(t)));
  const std::string url = x.url().empty() ? c.source_url() : x.url();
  row("fetched", "<code>" + H(url) + "</code>");
  if (!x.sent_to().empty())
    row("sent to", "<code>" + H(x.sent_to()) + "</code> (an upstream rule)");
  row("answer", "HTTP " + std::to_string(c.http_status()) +
                    (x.http_version().empty() ? "" : " over HTTP/" + H(x.http_version())));
  if (!x.remote_ip().empty()) {
    row("from address",
        H(x.remote_ip()) + (x.remote_port() > 0 ? ":" + std::to_string(x.remote_port()) : ""));
  }
  if (x.tls_chain_size() > 0) {
    std::string chain;
    for (const auto& der : x.tls_chain()) chain += der;
    row("TLS", std::to_string(x.tls_chain_size()) + " certificates, " +
                   (x.tls_verified() ? "verified" : "NOT verified") + "; chain <code>" +
                   H(archive::PrefixedSha256(chain)) + "</code>");
  }
  if (!c.raw_body_blob().empty()) row("body", "<code>sha256:" + H(c.raw_body_blob()) + "</code>");
  if (!x.response_head().empty()) {
    row("response head", "<pre>" + H(x.response_head()) + "</pre>");
  }
  if (!x.request_head().empty()) row("request head", "<pre>" + H(x.request_head()) + "</pre>");
  if (manifest) {
    row("manifest", "<pre>" + H(manifest->manifest()) + "</pre>");
    row("digest", "<code>" + H(manifest->digest()) + "</code>");
    row("signature", "<code>" + H(manifest->signature()) + "</code> by key <code>" +
                         H(manifest->key_id()) + "</code> (<a href=\"" +
                         H(base_path_ + "/.well-known/stillpost/keys.json") +
                         "\">published keys</a>)");
  } else {
    row("manifest", "none: this capture was made before stillpost signed its captures");
  }
  html += "</table>\n<h2>Every capture of the post: the hash chain</h2>\n<table>\n";
  html += "<tr><th>captured</th><th>outcome</th><th>manifest digest</th></tr>\n" + rows;
  html +=
      "</table>\n<p>The check: SHA-256 of each manifest is its digest; each manifest names "
      "the digest of the one before (<code>previous</code>); each digest string is signed "
      "(ECDSA P-384, SHA-256) by the key it names.</p>\n";
  html += "<script type=\"application/json\" id=\"sp-data\">" + ScriptSafe(json::serialize(data)) +
          "</script>\n<script>";
  html += kVerifyScript;
  html += "</script>\n</body>\n</html>\n";
  Response r;
  r.body = std::move(html);
  r.Set("Content-Type", "text/html; charset=utf-8");
  r.SetStatic("Content-Security-Policy", VerifyCsp());
  r.Set("Cache-Control", "public, max-age=60");
  r.Set("Referrer-Policy", "no-referrer");
  return r;
}

}  // namespace stillpost::server
