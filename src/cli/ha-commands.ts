// Host failures and vSphere HA: `fail HOST [--isolate]`, `recover HOST`, `ha CLUSTER`
// (spec/cli.md; spec/compute.md §8, §9). Thin: parse, call engine/ha.ts (loaded when a command
// runs, lazy.ts), print.
import type { Command } from 'commander';
import { engine } from './lazy.js';
import { withLab, type Context } from './context.js';
import { out, table } from './output.js';
import type { HaStatus } from '../engine/ha.js';

export function registerHaCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('fail')
    .description('power loss of a host, physical or nested: everything running on it (and nested in it) stops without releasing its VMFS locks; HA clusters react as virtual time advances. --isolate: the host loses only its management network (keeps its storage)')
    .argument('<host>', 'the host')
    .option('--isolate', 'isolate the host from the management network instead (HA isolation, compute.md §8)')
    .action(async (host: string, o: { isolate?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const { failHost, operate } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = operate(store, lab, (e) => failHost(e, host, { isolate: o.isolate === true }));
        ctx.out.result(result, () => {
          const lines = [result.isolated
            ? `${host}: ${out.red('isolated')} at T+${result.at}s (management network lost, storage kept)`
            : `${host}: ${out.red('failed')} at T+${result.at}s; down: ${result.hostsDown.join(', ')}${result.vmsDown.length > 0 ? `; VMs stopped: ${result.vmsDown.join(', ')}` : ''}`];
          for (const h of result.ha) lines.push(`  HA ${h.cluster}: ${h.event} ${h.host} at T+${h.at}s (run \`nestlab advance\`)`);
          return lines.join('\n');
        });
      });
    });

  program
    .command('recover')
    .description('a failed host gets power back (VMs not restarted elsewhere stay off), or an isolated host its network')
    .argument('<host>', 'the host')
    .action(async (host: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { recoverHost, operate } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = operate(store, lab, (e) => recoverHost(e, host));
        ctx.out.result(result, () => `${host}: ${result.state}${result.stayedOff.length > 0 ? `; still off: ${result.stayedOff.join(', ')}` : ''}`);
      });
    });

  program
    .command('ha')
    .description('vSphere HA of a cluster: hosts, admission control (slot size and slots, failover capacity, percentages)')
    .argument('<cluster>', 'the cluster')
    .action(async (cluster: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { haStatus, inspect } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = inspect(store, lab, (e) => haStatus(e, cluster));
        ctx.out.result(result, () => formatHa(result));
      });
    });

  program
    .command('hang')
    .description('a guest hangs: its VMware Tools heartbeats stop (HA VM monitoring resets it, compute.md §8); --io: it still does disk/network I/O')
    .argument('<vm>', 'the VM')
    .option('--io', 'the hung guest still does disk/network I/O (VM monitoring does not reset it)')
    .action(async (vm: string, o: { io?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const { hangVm, operate } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const result = operate(store, lab, (e) => hangVm(e, vm, { io: o.io === true }));
        ctx.out.result(result, () => `${vm}: hung at T+${result.at}s; ${result.checkAt !== undefined ? `VM monitoring (${result.monitoring}) checks it at T+${result.checkAt}s` : 'not monitored by vSphere HA'}`);
      });
    });
}

/** `nestlab ha CLUSTER` for people: the cluster line, its hosts, admission control, pending restarts. */
function formatHa(s: HaStatus): string {
  if (!s.enabled) return `cluster ${out.bold(s.cluster)}: vSphere HA ${out.dim('off')}`;
  const ac = s.admissionControl;
  const policy = ac === undefined || ac.policy === 'disabled' ? 'admission control off'
    : ac.policy === 'failover-hosts' ? `admission control: failover hosts ${ac.hosts.join(', ')}`
      : `admission control: ${ac.policy}, tolerates ${ac.hostFailures} host failure${ac.hostFailures === 1 ? '' : 's'}`;
  const lines = [
    `cluster ${out.bold(s.cluster)}: vSphere HA on, primary ${s.primary ?? out.red('none (election)')}; isolation response ${s.isolationResponse ?? 'leave-powered-on'}; ${policy}`,
    table(['host', 'role', 'state', 'slots'], s.hosts.map((h) => [
      h.name, h.role,
      h.failed ? out.red('failed') : h.isolated ? out.red('isolated') : h.state === 'connected' ? out.green(h.state) : out.yellow(h.state),
      s.slots.perHost[h.name] ?? '-',
    ])),
    `${s.poweredOnVms} VM${s.poweredOnVms === 1 ? '' : 's'} powered on; slot ${s.slots.cpuMHz} MHz / ${s.slots.memoryMB} MB, ${s.slots.total} slots, failover capacity ${s.slots.failoverCapacity} host${s.slots.failoverCapacity === 1 ? '' : 's'}; ` +
      `percentage failover capacity: CPU ${percent(s.percentage.cpuFailoverCapacity)}, memory ${percent(s.percentage.memoryFailoverCapacity)}`,
  ];
  if (s.pendingRestarts.length > 0) {
    lines.push('pending restarts:', table(['vm', 'from', 'attempts', 'next attempt'], s.pendingRestarts.map((p) => [p.vm, p.from, p.attempts, `T+${p.nextAttemptAt}s`])));
  }
  return lines.join('\n');
}

function percent(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
