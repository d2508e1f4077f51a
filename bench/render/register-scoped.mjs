import { register } from 'node:module';
register('./css-hooks-scoped.mjs', import.meta.url);
