// DRS and maintenance mode: drs [CLUSTER], maintenance enter|exit HOST. The engine is loaded when
// a command runs (lazy.ts).
import type { Command } from 'commander';
import { engine } from './lazy.js';
import { withLab, type Context } from './context.js';
import { EXIT, out, table } from './output.js';

export function registerDrsCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('drs')
    .description('a DRS pass: load imbalance, its priority and the recommended moves (applied when the cluster is fully automated)')
    .argument('[cluster]', 'one cluster (default: every cluster with DRS)')
    .action(async (cluster: string | undefined, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { drs } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const reports = drs(store, lab, cluster);
        if (reports.some((r) => r.applied.some((a) => !a.ok))) ctx.setExit(EXIT.failed);
        const value = cluster !== undefined ? reports[0]! : { clusters: reports };
        ctx.out.result(value, () => reports.map((r) => [
          `cluster ${out.bold(r.cluster)} (${r.automation}, threshold ${r.threshold}): host load standard deviation ${r.imbalance} (target ${r.target}), priority ${r.priority}`,
          r.recommendations.length
            ? table(['vm', 'from', 'to', 'priority', 'reason', 'applied'], r.recommendations.map((m) => {
              const a = r.applied.find((x) => x.vm === m.vm);
              return [m.vm, m.from, m.to, m.priority, m.reason, a ? (a.ok ? out.green('moved') : out.red(String(a.error?.code))) : out.dim('recommended')];
            }))
            : out.dim('  no recommendations: the cluster is balanced within the threshold'),
        ].join('\n')).join('\n\n'));
      });
    });

  const maintenance = program.command('maintenance').description('maintenance mode: DRS evacuates the host first; refused when a must rule or missing capacity prevents it');
  maintenance
    .command('enter')
    .argument('<host>')
    .action(async (host: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { enterMaintenance } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = enterMaintenance(store, lab, host);
        ctx.out.result(r, () => `${r.host}: ${out.yellow('maintenance')}${r.evacuated.length ? ` (moved ${r.evacuated.map((e) => `${e.vm} → ${e.to}`).join(', ')})` : ''}`);
      });
    });
  maintenance
    .command('exit')
    .argument('<host>')
    .action(async (host: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { exitMaintenance } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const r = exitMaintenance(store, lab, host);
        ctx.out.result(r, () => `${r.host}: ${r.state}`);
      });
    });
}
