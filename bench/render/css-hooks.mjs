// Node has no CSS modules: react-tweet's `import s from './x.module.css'` gets class names as-is,
// which is what a bundler's server build would hand to renderToString.
export async function load(url, context, next) {
  if (url.endsWith('.css')) {
    return {
      format: 'module',
      shortCircuit: true,
      source: 'export default new Proxy({}, { get: (_, key) => String(key) });',
    };
  }
  return next(url, context);
}
