// Reading lab files, loaded on demand (lazy.ts): YAML, the zod schema (built when this loads), lint.
export { loadLabFile } from '../plan/load.js';
export { labJsonSchema } from '../spec/schema.js';
export { LINT_RULES } from '../lint/index.js';
