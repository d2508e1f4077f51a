// One fixture rendered by react-tweet as a standalone page, its CSS modules scoped the way a
// bundler scopes them (FILE__class), for side-by-side screenshots with stillpost's embed:
//   node --import ./register-scoped.mjs react_tweet_page.mjs FIXTURE.json light|dark MEDIA_DIR > page.html
// MEDIA_DIR holds the replay's media (tests/fixtures/replay): image URLs point there, so both
// renderings show the same bytes with no network.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { EmbeddedTweet } from 'react-tweet';

const [fixture, theme, media] = process.argv.slice(2);
const tweet = JSON.parse(fs.readFileSync(fixture, 'utf8'));
let html = renderToString(createElement(EmbeddedTweet, { tweet }));
// pbs.twimg.com/media/NAME?format=... -> the replay's copy.
html = html.replace(/https:\/\/pbs\.twimg\.com\/([^"?&]+)[^"]*/g, (_, p) => `file://${media}/pbs.twimg.com/${p}`);

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = `${here}/node_modules/react-tweet/dist/twitter-theme`;
let css = fs.readFileSync(`${dist}/theme.css`, 'utf8');
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.module.css') ? [`${dir}/${e.name}`] : []);
for (const file of walk(dist)) {
  const stem = path.basename(file, '.module.css');
  css += fs.readFileSync(file, 'utf8').replace(/\.([A-Za-z_][\w-]*)/g, (m, name, at, all) =>
    /\d/.test(all[at - 1] || '') ? m : `.${stem}__${name}`);
}
process.stdout.write(`<!DOCTYPE html><html data-theme="${theme}"><head><meta charset="utf-8"><style>${css}
body{margin:0;background:transparent}.react-tweet-theme{margin:0!important}</style></head>
<body class="${theme}">${html}</body></html>\n`);
