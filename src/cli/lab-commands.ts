// Lab lifecycle: validate, plan, up, down, schema. The lab-file parser and the engine are loaded
// when a command runs (lazy.ts).
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { LoadedLab } from '../plan/load.js';
import type { Plan } from '../plan/plan.js';
import type { CapacityReport } from '../compute/capacity.js';
import { formatMB } from '../spec/units.js';
import { stateExists, type Store } from '../store/store.js';
import { engine, labFiles } from './lazy.js';
import { openStore, type Context } from './context.js';
import { CliError, EXIT, err, formatDiagnostic, out, table } from './output.js';

/** Print diagnostics (to stderr) in human mode. */
function printDiagnostics(loaded: LoadedLab): void {
  let source: string | undefined;
  try {
    source = readFileSync(loaded.file, 'utf8');
  } catch {
    source = undefined;
  }
  if (!loaded.ok) for (const e of loaded.errors) process.stderr.write(`${formatDiagnostic(e, 'error', source)}\n`);
  for (const w of loaded.warnings) process.stderr.write(`${formatDiagnostic(w, 'warning', source)}\n`);
}

/** The lab-file parser and the engine, for the commands that read a lab file and apply it. */
async function lifecycle() {
  const [engineModule, labFileModule] = await Promise.all([engine(), labFiles()]);
  return { ...engineModule, ...labFileModule };
}

/**
 * Load and validate FILE; on errors print them and stop with exit 1 (nothing is applied). Not
 * async: at configuration maxima an await here kept ~45 MB more at the peak of the `up` that follows.
 */
function loadOrFail(ctx: Context, m: Awaited<ReturnType<typeof lifecycle>>, file: string, store?: Store, lab?: string): Extract<LoadedLab, { ok: true }> {
  const loaded = m.loadLabFile(file, store && lab ? m.resolveContext(store, lab) : {});
  if (!loaded.ok) {
    const message = `${file}: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'}; nothing was applied`;
    if (ctx.out.json) ctx.out.result({ code: 'invalid-lab-file', message, valid: false, errors: loaded.errors, warnings: loaded.warnings }, () => '');
    else {
      printDiagnostics(loaded);
      process.stderr.write(err.red(`${message}\n`));
    }
    ctx.setExit(EXIT.invalid);
    throw new Silent();
  }
  if (!ctx.out.json) printDiagnostics(loaded);
  return loaded;
}

/** Already reported; just stop. */
class Silent extends Error {}

function labName(file: string): string | undefined {
  // The lab's name, read cheaply, to find its current state before a full resolve.
  try {
    return /^lab:\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)/m.exec(readFileSync(file, 'utf8').slice(0, 65536))?.[1];
  } catch {
    return undefined;
  }
}

async function swallowSilent(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof Silent)) throw e;
  }
}

export function registerLabCommands(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('validate')
    .description('check a lab file: errors with file:line:column, warnings from lint rules')
    .argument('<file>', 'the lab file')
    .action(async (file: string, _o, cmd: Command) => {
      const ctx = context(cmd);
      const { loadLabFile } = await labFiles();
      const loaded = loadLabFile(file);
      const errors = loaded.ok ? [] : loaded.errors;
      ctx.out.result({ valid: loaded.ok, errors, warnings: loaded.warnings }, () => {
        printDiagnostics(loaded);
        if (!loaded.ok) return '';
        const w = loaded.warnings.length;
        const inv = loaded.inventory;
        return `${out.green('✔')} ${file}: valid — lab ${out.bold(inv.lab)}: ${plural(inv.hosts.size, "host")}, ${plural(inv.vms.size, "VM")}${w ? `, ${out.yellow(`${w} warning${w === 1 ? '' : 's'}`)}` : ''}`;
      });
      if (!loaded.ok) {
        if (!ctx.out.json) process.stderr.write(err.red(`${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}\n`));
        ctx.setExit(EXIT.invalid);
      }
    });

  program
    .command('plan')
    .description('show what `up` would create, update, delete and power on, against the current state')
    .argument('<file>', 'the lab file')
    .option('--capacity', 'instead: will it fit? memory and CPU each host needs at each level, overcommitment, what would not power on')
    .action((file: string, o: { capacity?: boolean }, cmd: Command) => swallowSilent(async () => {
      const ctx = context(cmd);
      const m = await lifecycle();
      if (o.capacity) {
        const report = m.capacityReport(loadOrFail(ctx, m, file).inventory);
        ctx.out.result(report, () => renderCapacity(report));
        return;
      }
      const name = labName(file);
      const store = stateExists(ctx.stateDir) ? await openStore(ctx) : undefined;
      try {
        const loaded = loadOrFail(ctx, m, file, store, name);
        const plan: Plan = m.planLab(loaded.inventory, store?.objects(loaded.inventory.lab) ?? []);
        ctx.out.result(plan, () => renderPlan(plan));
      } finally {
        store?.close();
      }
    }));

  program
    .command('up')
    .description('create or update the lab from FILE, then power on what should run')
    .argument('<file>', 'the lab file')
    .action((file: string, _o, cmd: Command) => swallowSilent(async () => {
      const ctx = context(cmd);
      const m = await lifecycle();
      const store = await openStore(ctx);
      try {
        const loaded = loadOrFail(ctx, m, file, store, labName(file));
        const result = m.up(store, file, loaded.spec, loaded.inventory, ctx.out.progress());
        if (result.failed.length) ctx.setExit(EXIT.failed);
        ctx.out.result({ ...result, warnings: loaded.warnings }, () => {
          const lines = [`lab ${out.bold(result.lab)}: ${result.created.length} created, ${result.updated.length} updated, ${result.deleted.length} deleted`];
          if (result.poweredOff.length) lines.push(`powered off ${result.poweredOff.length} VM${result.poweredOff.length === 1 ? '' : 's'}: ${summarize(result.poweredOff)}`);
          if (result.poweredOn.length) lines.push(`${out.green('powered on')} ${result.poweredOn.length} VM${result.poweredOn.length === 1 ? '' : 's'}: ${summarize(result.poweredOn)}`);
          for (const f of result.failed) lines.push(`${out.red('failed')} ${f.name}: ${String(f.error.message)} ${out.dim(`[${String(f.error.code)}]`)}`);
          if (!result.created.length && !result.updated.length && !result.deleted.length && !result.poweredOn.length && !result.poweredOff.length && !result.failed.length) {
            lines.push(out.dim('nothing to do: the state already matches the lab file'));
          }
          return lines.join('\n');
        });
      } finally {
        store.close();
      }
    }));

  program
    .command('down')
    .description('remove a lab and its state (objects, events, tasks)')
    .argument('[lab]', 'the lab (default: the only one)')
    .action(async (lab: string | undefined, _o, cmd: Command) => {
      const ctx = context(cmd);
      if (!stateExists(ctx.stateDir)) throw new CliError('no-lab', `no nestlab state in ${ctx.stateDir}`, EXIT.invalid);
      const { down } = await engine();
      const store = await openStore(ctx);
      try {
        const result = down(store, lab ?? ctx.lab);
        ctx.out.result(result, () => `lab ${out.bold(result.lab)} removed (${result.deleted} objects)`);
      } finally {
        store.close();
      }
    });

  program
    .command('schema')
    .description('print the JSON Schema of the lab file (for editors)')
    .action(async () => {
      const { labJsonSchema } = await labFiles();
      process.stdout.write(`${JSON.stringify(labJsonSchema(), null, 2)}\n`);
    });
}

function summarize(names: string[], max = 12): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function renderPlan(plan: Plan): string {
  const lines: string[] = [`plan for lab ${out.bold(plan.lab)}:`];
  const group = (label: string, items: Array<{ id: string; kind: string; changes?: string[] }>, mark: string) => {
    if (!items.length) return;
    const byKind = new Map<string, number>();
    for (const i of items) byKind.set(i.kind, (byKind.get(i.kind) ?? 0) + 1);
    lines.push(`  ${mark} ${label} ${items.length}: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    for (const i of items.slice(0, 20)) lines.push(`      ${i.kind} ${i.id.slice(i.kind.length + 1)}${i.changes ? out.dim(` (${i.changes.join(', ')})`) : ''}`);
    if (items.length > 20) lines.push(out.dim(`      … and ${items.length - 20} more`));
  };
  group('create', plan.create, out.green('+'));
  group('update', plan.update, out.yellow('~'));
  group('delete', plan.delete, out.red('-'));
  if (plan.powerOn.length) lines.push(`  ${out.green('▶')} power on ${plan.powerOn.length}: ${summarize(plan.powerOn)}`);
  if (plan.powerOff.length) lines.push(`  ${out.red('■')} power off ${plan.powerOff.length}: ${summarize(plan.powerOff)}`);
  if (lines.length === 1) lines.push(out.dim('  nothing to do: the state already matches the lab file'));
  return lines.join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function renderCapacity(r: CapacityReport): string {
  const pct = (p: number) => (p > 100 ? out.red(`${p}%`) : p > 90 ? out.yellow(`${p}%`) : out.green(`${p}%`));
  const lines = [`capacity of lab ${out.bold(r.lab)}:`];
  lines.push(table(
    ['host', 'level', 'runs in', 'memory', 'hypervisor', 'VMs', 'VM memory', 'overhead', 'needed', 'committed', 'vCPU/core'],
    r.hosts.map((h) => [
      h.name, h.level, h.runsIn ?? undefined, formatMB(h.memoryMB), formatMB(h.hypervisorMB), h.vms, formatMB(h.vmMemoryMB),
      `${h.overheadMB} MB`, formatMB(h.neededMB), pct(h.memoryCommitPercent), h.vcpusPerCore,
    ]),
  ));
  const p = r.physical;
  lines.push(`physical hosts: ${formatMB(p.memoryMB)} installed, ${formatMB(p.neededMB)} needed to back every running VM fully — ${p.neededMB <= p.memoryMB ? out.green(`fits, ${formatMB(Math.round((p.memoryMB - p.neededMB) * 100) / 100)} to spare`) : out.red(`short by ${formatMB(Math.round((p.neededMB - p.memoryMB) * 100) / 100)} (relies on reclamation)`)}`);
  if (r.notPoweredOn.length) {
    lines.push(out.red(`would not power on (${r.notPoweredOn.length}):`));
    for (const f of r.notPoweredOn) lines.push(`  ${f.name} on ${f.host}: ${f.message} ${out.dim(`[${f.code}]`)}`);
  } else lines.push(out.green('every VM that should run would power on'));
  return lines.join('\n');
}
