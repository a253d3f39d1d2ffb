// Engine features that register timers or placement/power hooks (hooks.ts) when loaded. power.ts
// imports this module, so whatever command powers, moves or restarts a VM sees every check.
import './drs.js';
import './ha.js';
import './migrate.js';
