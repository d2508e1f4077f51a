// CSS modules as a bundler builds them: `import s from './tweet-header.module.css'` gives
// s.header === 'tweet-header__header' (react_tweet_page.mjs scopes the stylesheets the same way).
export async function load(url, context, next) {
  if (url.endsWith('.module.css')) {
    const stem = url.split('/').pop().replace(/\.module\.css$/, '');
    return {
      format: 'module',
      shortCircuit: true,
      source: `export default new Proxy({}, { get: (_, key) => ${JSON.stringify(stem)} + '__' + String(key) });`,
    };
  }
  if (url.endsWith('.css')) {
    return { format: 'module', shortCircuit: true, source: 'export default {};' };
  }
  return next(url, context);
}
