// What commands load when they run, not at start-up: `nestlab --version` or `trace` should not
// evaluate the lab-file parser (js-yaml, lint, zod and its schema, whose building alone costs
// about as much as starting Node), and only commands on a lab need the engine and the data plane.
// In the bundle (scripts/build.mjs) each part's modules are evaluated when import() first asks.
export const engine = () => import('./lazy-engine.js');
export const labFiles = () => import('./lazy-lab-file.js');
