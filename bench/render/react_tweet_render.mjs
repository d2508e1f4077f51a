// react-tweet's server render of the same fixtures render_bench renders, on one thread:
//   node react_tweet_render.mjs FIXTURES_DIR [SECONDS]
import fs from 'node:fs';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { EmbeddedTweet } from 'react-tweet';

const dir = process.argv[2];
const seconds = Number(process.argv[3] || 5);
const files = [
  'upstream/x/photo_single_with_url_entity.json',
  'upstream/x/card_summary_large_image_mentions_nonbmp_emoji.json',
  'upstream/x/quote_tweet.json',
  'upstream/x/video_mp4_variants_and_hls.json',
  'upstream/x/text_only_business_label_empty_entities.json',
  'seed-article/x/883326060983353344.json',
];
const tweets = files.map((f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8')));
let n = 0;
let bytes = 0;
const start = process.hrtime.bigint();
const until = start + BigInt(Math.round(seconds * 1e9));
while (process.hrtime.bigint() < until) {
  for (let k = 0; k < 20; k++, n++) {
    bytes += renderToString(createElement(EmbeddedTweet, { tweet: tweets[n % tweets.length] })).length;
  }
}
const secs = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`react-tweet: ${n} embeds in ${secs.toFixed(2)} s on one thread = ${Math.round(n / secs)} embeds/s (avg ${Math.round(bytes / n)} bytes)`);
