// Operations on a running lab: power, stats, advance. The engine is loaded when a command runs
// (lazy.ts).
import type { Command } from 'commander';
import type { PowerAction } from '../engine/power.js';
import { formatMB, parseDurationSeconds } from '../spec/units.js';
import { engine } from './lazy.js';
import { withLab, type Context } from './context.js';
import { CliError, EXIT, out, table } from './output.js';

export function registerOperationCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('power')
    .description('power a VM on, off, or reset it')
    .argument('<action>', 'on | off | reset')
    .argument('<vm>', 'the VM')
    .action(async (action: string, vm: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      if (action !== 'on' && action !== 'off' && action !== 'reset') throw new CliError('usage', `power takes on, off or reset; got "${action}"`, EXIT.usage);
      const { power, operate } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = operate(store, lab, (e) => e.task(`power-${action}`, `vm:${vm}`, () => power(e, action as PowerAction, vm)));
        if (!result.ok) throw result.error!;
        const state = result.value!.power;
        ctx.out.result({ name: vm, state, host: result.value!.host }, () => `${vm}: ${state === 'on' ? out.green('on') : out.dim(state)} (host ${result.value!.host})`);
      });
    });

  program
    .command('stats')
    .description('CPU and memory now: per host memory state, free and minFree, CPU used; per VM entitlement, active, ballooned, compressed, swapped and shared memory, CPU ready')
    .argument('[name]', 'one host or VM')
    .action(async (name: string | undefined, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { currentStats, inspect } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = inspect(store, lab, currentStats);
        const hosts = [...result.hosts].map(([n, h]) => ({ name: n, ...h }));
        const vms = [...result.vms].map(([n, v]) => ({ name: n, ...v }));
        if (name !== undefined) {
          const one = hosts.find((h) => h.name === name) ?? vms.find((v) => v.name === name);
          if (!one) throw new CliError('unknown-object', `no running host or VM named "${name}"`, EXIT.invalid);
          ctx.out.result(one, () => JSON.stringify(one, null, 2));
          return;
        }
        ctx.out.result({ lab: lab.name, now: lab.nowMs / 1000, hosts, vms }, () => [
          table(['host', 'memory state', 'free', 'minFree', 'CPU used/capacity'], hosts.map((h) => [h.name, h.memory.state, formatMB(h.memory.freeMB), formatMB(h.memory.minFreeMB), `${h.cpu.usedMHz}/${h.cpu.capacityMHz} MHz`])),
          '',
          table(['vm', 'entitled CPU', 'ready', 'entitled mem', 'active', 'shared', 'ballooned', 'compressed', 'swapped'], vms.map((v) => [
            v.name, `${v.entitlement.cpuMHz} MHz`, `${v.cpu.readyPercent}%`, formatMB(v.entitlement.memoryMB), formatMB(v.memory.activeMB),
            formatMB(v.memory.sharedMB), formatMB(v.memory.balloonedMB), formatMB(v.memory.compressedMB), formatMB(v.memory.swappedMB),
          ])),
        ].join('\n'));
      });
    });

  program
    .command('advance')
    .description('move virtual time forward, running what falls due')
    .argument('<duration>', 'e.g. 300s, 5m, 1h')
    .action(async (duration: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const seconds = parseDurationSeconds(duration);
      if (seconds === undefined) throw new CliError('invalid-duration', `"${duration}" is not a duration`, EXIT.invalid, {}, 'use 300s, 5m, 1h or a number of seconds');
      const { advance } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = advance(store, lab, seconds);
        ctx.out.result(result, () => `lab ${result.lab}: virtual time is now T+${result.now}s${result.samplePeriods ? ` (${result.samplePeriods} memory/CPU sample periods)` : ''}`);
      });
    });
}
