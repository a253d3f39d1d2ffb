// Cluster services from the command line: `migrate` (vMotion, spec/cli.md "Compute and cluster").
// The engine is loaded when the command runs (lazy.ts).
import type { Command } from 'commander';
import { engine } from './lazy.js';
import { withLab, type Context } from './context.js';

export function registerClusterCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('migrate')
    .description('vMotion a running VM to another host (compute.md §6): every check, the pre-copy model, RARP from the destination')
    .argument('<vm>', 'the VM')
    .argument('<host>', 'the destination host')
    .action(async (vm: string, host: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { migrate } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const outcome = migrate(store, lab, vm, host);
        if (!outcome.ok) throw outcome.error!;
        const r = outcome.value!;
        ctx.out.result(r, () => [
          `${r.name}: ${r.from} → ${r.to} in ${r.totalSeconds} s, downtime ${r.downtimeMs} ms (${r.bandwidthMBps} MB/s over ${r.vmotion.from} → ${r.vmotion.to}, dirty ${r.dirtyRateMBps} MB/s${r.sdps ? `, SDPS throttled to ${r.sdps.dirtyRateMBps} MB/s` : ''})`,
          ...r.iterations.map((it, i) => `  ${it.stunned ? 'stun ' : `#${i + 1}   `} ${it.mb} MB in ${it.seconds} s`),
          ...r.warnings.map((w) => `  warning[${w.code}]: ${w.message}`),
          r.rarp.macs.length ? `  RARP from ${r.to} for ${r.rarp.macs.join(', ')}` : '',
        ].filter((l) => l !== '').join('\n'));
      });
    });
}
