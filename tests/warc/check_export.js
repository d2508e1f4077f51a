// An export read by warcio.js (pinned, test-only), as another archive's tools would read it:
// every record parsed, every sha256 payload and block digest recomputed, every
// WARC-Concurrent-To and WARC-Refers-To pointing at a record of the file. For a WACZ also:
// only STORE members, each resource's size and hash as datapackage.json says, the datapackage
// digest, and its signature verified with WebCrypto (ECDSA P-384, SHA-256, over the digest
// string, the way ReplayWeb.page checks it). Prints one JSON object; exits 1 on the first
// problem, naming it. Usage: NODE_PATH=.npm-tools/node_modules node check_export.js FILE
"use strict";
const { readFileSync } = require("node:fs");
const { createHash, webcrypto } = require("node:crypto");
const { WARCParser } = require("warcio");

const fail = (why) => {
  console.error("check_export: " + why);
  process.exit(1);
};
const sha256 = (bytes) => "sha256:" + createHash("sha256").update(bytes).digest("hex");

// The members of a ZIP, from its central directory: name, method, offset, size.
function zipMembers(buf) {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) fail("no end of central directory: not a ZIP");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const members = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) fail("a damaged central directory");
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28), extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    // The data follows the local header, whose name and extra lengths are its own.
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    members.push({ name, method, size, data: buf.subarray(dataAt, dataAt + size) });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return members;
}

async function readWarc(bytes) {
  const parser = new WARCParser(new Blob([bytes]).stream(), { parseHttp: false });
  const records = [];
  for await (const record of parser) {
    const block = await record.readFully(false);
    records.push({ record, block: Buffer.from(block) });
  }
  return records;
}

(async () => {
const path = process.argv[2];
const file = readFileSync(path);
const out = { records: 0, types: {}, payload_digests: 0, block_digests: 0, links: 0 };
let warcBytes = file;
if (path.endsWith(".wacz")) {
  const members = zipMembers(file);
  out.members = members.map((m) => m.name);
  out.member_sha256 = Object.fromEntries(members.map((m) => [m.name, sha256(m.data)]));
  for (const m of members) if (m.method !== 0) fail(m.name + " is not STORE (method " + m.method + ")");
  const get = (name) => members.find((m) => m.name === name) || fail("no " + name);
  const dpBytes = get("datapackage.json").data;
  const dp = JSON.parse(dpBytes.toString("utf8"));
  if (dp.profile !== "data-package" || dp.wacz_version !== "1.1.1") fail("not a WACZ 1.1.1 data-package");
  for (const r of dp.resources) {
    const m = get(r.path);
    if (m.size !== r.bytes) fail(r.path + ": " + m.size + " bytes, datapackage says " + r.bytes);
    if (sha256(m.data) !== r.hash) fail(r.path + " does not match its hash");
  }
  const digest = JSON.parse(get("datapackage-digest.json").data.toString("utf8"));
  if (digest.hash !== sha256(dpBytes) || digest.signedData.hash !== digest.hash) fail("datapackage digest");
  const key = await webcrypto.subtle.importKey("spki", Buffer.from(digest.signedData.publicKey, "base64"),
                                               { name: "ECDSA", namedCurve: "P-384" }, false, ["verify"]);
  out.signature_verified = await webcrypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" }, key, Buffer.from(digest.signedData.signature, "base64"),
      new TextEncoder().encode(digest.hash));
  if (!out.signature_verified) fail("the datapackage signature does not verify");
  out.pages = get("pages/pages.jsonl").data.toString("utf8").trim().split("\n").length - 1;
  out.cdxj = get("indexes/index.cdxj").data.toString("utf8").trim().split("\n").length;
  warcBytes = get("archive/data.warc.gz").data;
}
const records = await readWarc(warcBytes);
const ids = new Set(records.map((r) => r.record.warcHeader("WARC-Record-ID")));
for (const { record, block } of records) {
  out.records++;
  const type = record.warcType;
  out.types[type] = (out.types[type] || 0) + 1;
  const bd = record.warcHeader("WARC-Block-Digest");
  if (bd) {
    if (bd !== sha256(block)) fail(type + " " + record.warcTargetURI + ": block digest");
    out.block_digests++;
  }
  const pd = record.warcHeader("WARC-Payload-Digest");
  if (pd && type !== "revisit") {
    let payload = block;
    if (type === "response") payload = block.subarray(block.indexOf("\r\n\r\n") + 4);
    if (pd !== sha256(payload)) fail(type + " " + record.warcTargetURI + ": payload digest");
    out.payload_digests++;
  }
  for (const name of ["WARC-Concurrent-To", "WARC-Refers-To"]) {
    const to = record.warcHeader(name);
    if (!to) continue;
    if (!ids.has(to)) fail(type + " " + record.warcTargetURI + ": " + name + " " + to + " is no record here");
    out.links++;
  }
}
  // The same records with their HTTP heads parsed, as a replay reads them.
  out.http_heads = 0;
  for await (const record of new WARCParser(new Blob([warcBytes]).stream())) {
    if (record.warcType === "response" && !record.httpHeaders?.statusCode) {
      fail("response " + record.warcTargetURI + ": no HTTP status warcio can read");
    }
    if (record.httpHeaders) out.http_heads++;
    await record.readFully(false);
  }
  console.log(JSON.stringify(out));
})().catch((e) => fail(String(e)));
