// Reading the state: ls, show, events, tasks; and the catalogs: cpus, rules. What a command
// needs is loaded when it runs (lazy.ts).
import type { Command } from 'commander';
import { LIST_KINDS, type ListKind } from '../engine/list-kinds.js';
import { formatMB } from '../spec/units.js';
import { engine, labFiles } from './lazy.js';
import { withLab, type Context } from './context.js';
import { CliError, EXIT, out, table } from './output.js';

const stateColor = (s: unknown): string => {
  const text = String(s ?? '-');
  if (s === 'on' || s === 'connected') return out.green(text);
  if (s === 'off' || s === 'powered-off') return out.dim(text);
  if (s === 'maintenance' || s === 'suspended') return out.yellow(text);
  if (s === 'not-responding') return out.red(text);
  return text;
};

export function registerInventoryCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('ls')
    .description(`list objects: ${Object.keys(LIST_KINDS).join(', ')} (default: all of them)`)
    .argument('[kind]', Object.keys(LIST_KINDS).join('|'))
    .action(async (kind: string | undefined, _o, cmd: Command) => {
      const ctx = context(cmd);
      if (kind !== undefined && !(kind in LIST_KINDS)) {
        throw new CliError('usage', `unknown kind "${kind}"; expected one of ${Object.keys(LIST_KINDS).join(', ')}`, EXIT.usage);
      }
      const { listObjects } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const items = listObjects(store, lab, kind as ListKind | undefined);
        ctx.out.result({ lab: lab.name, items }, () =>
          table(['name', 'kind', 'parent', 'state', 'details'], items.map((i) => [i.name, i.kind, i.parent ?? undefined, i.state === null ? undefined : stateColor(i.state), details(i)])),
        );
      });
    });

  program
    .command('show')
    .description('everything about one object (a VM, host, switch, port group, …)')
    .argument('<name>', 'a name, HOST/NAME, or an id such as portgroup:esx1/VM Network')
    .action(async (name: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { describeObject } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const view = describeObject(store, lab, name);
        ctx.out.result(view, () => renderShow(view));
      });
    });

  program
    .command('events')
    .description('the event log: what happened, to which object, when (virtual time), why')
    .option('--since <seq>', 'only events after this sequence number', (v) => positiveInt(v, '--since'))
    .option('--limit <n>', 'at most this many', (v) => positiveInt(v, '--limit'))
    .option('--object <name>', 'only events about this object (name or id)')
    .option('--type <prefix>', 'only events whose type starts with this (vm., host., object.)')
    .action(async (o: { since?: number; limit?: number; object?: string; type?: string }, cmd: Command) => {
      const ctx = context(cmd);
      const { listEvents } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const events = listEvents(store, lab, { ...(o.since !== undefined ? { after: o.since } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}), ...(o.object !== undefined ? { object: o.object } : {}), ...(o.type !== undefined ? { type: o.type } : {}) });
        ctx.out.result({ lab: lab.name, events }, () =>
          table(['#', 'time', 'type', 'object', 'message'], events.map((e) => [e.seq, `T+${e.time.toFixed(3)}s`, e.type, e.object ?? undefined, e.message])),
        );
      });
    });

  program
    .command('tasks')
    .description('tasks and their outcome (queued → running → success | error)')
    .option('--since <id>', 'only tasks after this id', (v) => positiveInt(v, '--since'))
    .action(async (o: { since?: number }, cmd: Command) => {
      const ctx = context(cmd);
      const { listTasks } = await engine();
      await withLab(ctx, ({ store, lab }) => {
        const tasks = listTasks(store, lab, o.since !== undefined ? { after: o.since } : {});
        ctx.out.result({ lab: lab.name, tasks }, () =>
          table(['id', 'kind', 'target', 'state', 'completed', 'error'], tasks.map((t) => [
            t.id, t.kind, t.target, t.state === 'success' ? out.green(t.state) : t.state === 'error' ? out.red(t.state) : t.state,
            t.completed === null ? undefined : `T+${t.completed.toFixed(3)}s`, t.error ? String((t.error as { code: string }).code) : undefined,
          ])),
        );
      });
    });

  program
    .command('cpus')
    .description('the CPU catalog: ids to use as a host\'s cpu')
    .action(async (_o, cmd: Command) => {
      const ctx = context(cmd);
      const { CPU_CATALOG, hardwareVirtualization, maxEvcMode } = await engine();
      const cpus = [...CPU_CATALOG.values()].map((c) => ({
        id: c.id, model: c.model, vendor: c.vendor, generation: c.generation, cores: c.cores * c.sockets, threads: c.threads * c.sockets, mhz: c.mhz,
        virtualization: hardwareVirtualization(c).label, maxEvcMode: maxEvcMode(c) ?? null, features: [...c.features].sort(),
      }));
      ctx.out.result({ cpus }, () => table(['id', 'model', 'generation', 'cores/threads', 'MHz', 'virtualization', 'max EVC'], cpus.map((c) => [c.id, c.model, c.generation, `${c.cores}/${c.threads}`, c.mhz, c.virtualization, c.maxEvcMode ?? undefined])));
    });

  program
    .command('rules')
    .description('the lint rules `validate` applies, with their ids')
    .action(async (_o, cmd: Command) => {
      const ctx = context(cmd);
      const { LINT_RULES } = await labFiles();
      const rules = LINT_RULES.map((r) => ({ id: r.id, summary: r.summary }));
      ctx.out.result({ rules }, () => table(['rule', 'catches'], rules.map((r) => [r.id, r.summary])));
    });
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError('usage', `${flag} takes a whole number, got "${v}"`, EXIT.usage);
  return n;
}

function details(i: Record<string, unknown>): string {
  switch (i.kind) {
    case 'vm': return `${String(i.cpus)} vCPU, ${formatMB(i.memoryMB as number)}${i.nested ? ', hypervisor' : ''}${i.role ? `, ${String(i.role)}` : ''}`;
    case 'host': return `${String(i.hypervisor)} ${String(i.version)}, ${String(i.cpu)}, ${formatMB(i.memoryMB as number)}${i.nested && i.cluster ? `, cluster ${String(i.cluster)}` : ''}`;
    case 'portgroup': return `vlan ${String(i.vlan)}`;
    case 'dvportgroup': return `vlan ${JSON.stringify(i.vlan)}, ${String(i.binding)}`;
    case 'datastore': return `${String(i.type)}, ${formatMB(i.capacityMB as number)}, ${(i.hosts as string[]).length} hosts`;
    case 'cluster': return `${(i.hosts as string[]).length} hosts${i.evc ? `, EVC ${String(i.evc)}` : ''}${i.drs ? ', DRS' : ''}${i.ha ? ', HA' : ''}`;
    case 'vswitch': return `uplinks ${(i.uplinks as string[]).join(', ') || 'none'}`;
    case 'bridge': return `${i.type === 'ovs' ? 'Open vSwitch, ' : ''}uplinks ${(i.uplinks as string[]).join(', ') || 'none'}`;
    default: return '';
  }
}

const isRange = (x: unknown): x is [number, number] => Array.isArray(x) && x.length === 2 && typeof x[0] === 'number' && typeof x[1] === 'number';

/** A readable rendering of `show`: scalars first, then nested structures as indented YAML-ish text. */
function renderShow(view: Record<string, unknown>, indent = ''): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(view)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length && v.every(isRange)) {
      // VLAN ranges: 1-4094, 100
      lines.push(`${indent}${out.bold(k)}: ${v.map(([lo, hi]: [number, number]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(', ')}`);
    } else if (Array.isArray(v) && v.length && typeof v[0] === 'object') {
      lines.push(`${indent}${out.bold(k)}:`);
      for (const el of v) lines.push(renderShow(el as Record<string, unknown>, `${indent}  `).replace(new RegExp(`^${indent}  `), `${indent}- `));
    } else if (typeof v === 'object' && !Array.isArray(v)) {
      lines.push(`${indent}${out.bold(k)}:`);
      lines.push(renderShow(v as Record<string, unknown>, `${indent}  `));
    } else {
      const text = Array.isArray(v) ? (v.length ? v.join(', ') : '[]') : k === 'state' ? stateColor(v) : String(v);
      lines.push(`${indent}${out.bold(k)}: ${text}`);
    }
  }
  return lines.join('\n');
}
