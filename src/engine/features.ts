// Engine features that register timers or power hooks when loaded. `apply.ts` imports this
// module so that every command sees them, whatever the command.
import './ha.js';
import './migrate.js';
