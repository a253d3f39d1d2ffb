// The command line as spec/cli.md defines it, driven end to end as a user would: exit codes,
// JSON keys, the lifecycle (validate, plan, up, down), power, advance, events, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nestlab, SMALL_LAB, tempDir } from './helpers.js';

function labFile(text = SMALL_LAB): { dir: string; file: string; state: string } {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  return { dir, file, state: join(dir, 'state') };
}

test('validate: valid file → exit 0 and { valid, errors, warnings }', () => {
  const { file } = labFile();
  const r = nestlab(['validate', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = r.json();
  assert.equal(j.valid, true);
  assert.deepEqual(j.errors, []);
  assert.ok(Array.isArray(j.warnings));
  for (const w of j.warnings) for (const k of ['rule', 'message', 'path', 'line', 'column']) assert.ok(k in w, k);
});

test('validate: invalid file → exit 1, errors with path, line and column; nothing on stdout but JSON', () => {
  const { file } = labFile(SMALL_LAB.replace('memory: 32GB', 'memory: lots'));
  const r = nestlab(['validate', file, '--json']);
  assert.equal(r.code, 1);
  const j = r.json();
  assert.equal(j.valid, false);
  assert.deepEqual(Object.keys(j.errors[0]).sort(), ['code', 'column', 'file', 'line', 'message', 'path']);
  assert.equal(j.errors[0].line, 15);
  const human = nestlab(['validate', file]);
  assert.equal(human.code, 1);
  assert.match(human.stderr, /lab\.yaml:15:13: error\[invalid-value\]/);
  assert.match(human.stderr, /memory: lots/, 'the source line is shown');
});

test('validate: a missing file is invalid input (exit 1) with a code', () => {
  const r = nestlab(['validate', '/nonexistent/lab.yaml', '--json']);
  assert.equal(r.code, 1);
  assert.equal(r.json().code, 'file-not-found');
});

test('usage errors exit 2', () => {
  assert.equal(nestlab(['frobnicate']).code, 2);
  assert.equal(nestlab(['validate']).code, 2);
  assert.equal(nestlab(['ls', 'widgets', '--state', tempDir()]).code, 2);
  const j = nestlab(['validate', '--json']);
  assert.equal(j.code, 2);
  assert.equal(j.json().code, 'usage');
});

test('up, a second up, plan, update, ls, show, power, advance, down', () => {
  const { file, state } = labFile();
  const s = ['--state', state, '--json'];

  const plan0 = nestlab(['plan', file, ...s]);
  assert.equal(plan0.code, 0, plan0.stderr);
  assert.ok(plan0.json().create.length > 10);
  assert.deepEqual(plan0.json().delete, []);

  const up = nestlab(['up', file, ...s]);
  assert.equal(up.code, 0, up.stderr);
  const u = up.json();
  assert.equal(u.lab, 'small');
  assert.ok(u.created.includes('vm:web') && u.created.includes('host:nested-esx') && u.created.includes('portgroup:esx1/VM Network'));
  // Outer levels power on before inner ones; db says power: off.
  assert.deepEqual(u.poweredOn, ['nested-esx', 'web']);
  assert.deepEqual(u.failed, []);

  const events1 = nestlab(['events', ...s]).json().events.length;
  const again = nestlab(['up', file, ...s]);
  assert.equal(again.code, 0);
  const a = again.json();
  assert.deepEqual([a.created, a.updated, a.deleted, a.poweredOn, a.failed], [[], [], [], [], []], 'a second up changes nothing');
  assert.equal(nestlab(['events', ...s]).json().events.length, events1, 'and logs nothing');
  const planAgain = nestlab(['plan', file, ...s]).json();
  assert.deepEqual([planAgain.create, planAgain.update, planAgain.delete, planAgain.powerOn], [[], [], [], []]);

  const macBefore = nestlab(['show', 'web', ...s]).json().nics[0].mac;
  // Change the file: one VM more, one VM bigger, one VM gone.
  writeFileSync(file, SMALL_LAB
    .replace('{ name: web, host: nested-esx, cpus: 1, memory: 1GB', '{ name: web, host: nested-esx, cpus: 1, memory: 2GB')
    .replace(/ {2}- \{ name: db,.*\n/, '  - { name: app, host: esx1, cpus: 2, memory: 4GB, nics: [{ network: VM Network }] }\n'));
  const plan = nestlab(['plan', file, ...s]).json();
  assert.ok(plan.create.some((i: { id: string }) => i.id === 'vm:app'));
  assert.ok(plan.delete.some((i: { id: string }) => i.id === 'vm:db'));
  assert.deepEqual(plan.update.find((i: { id: string }) => i.id === 'vm:web')?.changes, ['memoryMB']);
  const up2 = nestlab(['up', file, ...s]).json();
  assert.deepEqual(up2.poweredOn, ['app']);
  assert.ok(up2.updated.includes('vm:web'));
  assert.equal(nestlab(['show', 'web', ...s]).json().nics[0].mac, macBefore, 'a reconfigured VM keeps its MAC');

  const ls = nestlab(['ls', 'vms', ...s]);
  assert.equal(ls.code, 0);
  const items = ls.json().items as Array<Record<string, unknown>>;
  assert.deepEqual(items.map((i) => i.name).sort(), ['app', 'nested-esx', 'web']);
  for (const i of items) for (const k of ['name', 'kind', 'parent', 'state']) assert.ok(k in i, k);
  assert.equal(items.find((i) => i.name === 'web')!.parent, 'nested-esx');
  const hosts = nestlab(['ls', 'hosts', ...s]).json().items as Array<Record<string, unknown>>;
  assert.deepEqual(hosts.map((h) => [h.name, h.state]), [['esx1', 'connected'], ['nested-esx', 'connected']]);

  const show = nestlab(['show', 'web', ...s]).json();
  assert.equal(show.kind, 'vm');
  assert.equal(show.state, 'on');
  assert.equal(show.host, 'nested-esx');
  assert.deepEqual(show.path, ['esx1', 'nested-esx', 'web']);
  assert.match(show.nics[0].mac, /^00:50:56:/);
  assert.ok('counters' in show);
  const showPg = nestlab(['show', 'esx1/VM Network', ...s]);
  assert.equal(showPg.code, 0, showPg.stdout);
  assert.equal(showPg.json().kind, 'portgroup');
  const ambiguous = nestlab(['show', 'Management', ...s]);
  assert.equal(ambiguous.code, 1);
  assert.equal(ambiguous.json().code, 'ambiguous-name');
  assert.equal(nestlab(['show', 'nope', ...s]).json().code, 'unknown-object');

  // Powering off a nested hypervisor takes its VMs down with it.
  const off = nestlab(['power', 'off', 'nested-esx', ...s]);
  assert.equal(off.code, 0, off.stdout);
  assert.deepEqual(off.json(), { name: 'nested-esx', state: 'off', host: 'esx1' });
  assert.equal(nestlab(['show', 'web', ...s]).json().state, 'off');
  const refused = nestlab(['power', 'on', 'web', ...s]);
  assert.equal(refused.code, 3, 'an operation that ran and failed exits 3');
  assert.equal(refused.json().code, 'host-not-running');
  assert.equal(nestlab(['power', 'on', 'nested-esx', ...s]).code, 0);
  assert.equal(nestlab(['power', 'on', 'web', ...s]).json().state, 'on');
  assert.equal(nestlab(['power', 'on', 'web', ...s]).json().code, 'invalid-power-state');
  assert.equal(nestlab(['power', 'reset', 'web', ...s]).json().state, 'on');
  assert.equal(nestlab(['show', 'web', ...s]).json().counters.resets, 1);
  assert.equal(nestlab(['power', 'on', 'ghost', ...s]).code, 1);
  assert.equal(nestlab(['power', 'sideways', 'web', ...s]).code, 2);

  const adv = nestlab(['advance', '5m', ...s]);
  assert.equal(adv.json().lab, 'small');
  assert.equal(adv.json().now, 300);
  assert.equal(adv.json().samplePeriods, 5, 'five 60 s memory/CPU sample periods ran');
  assert.equal(nestlab(['advance', 'soon', ...s]).code, 1);

  const tasks = nestlab(['tasks', ...s]).json().tasks as Array<{ kind: string; state: string }>;
  assert.ok(tasks.some((t) => t.state === 'error' && t.kind === 'power-on'));
  const events = nestlab(['events', '--object', 'web', ...s]).json().events as Array<{ type: string; time: number }>;
  assert.ok(events.some((e) => e.type === 'vm.powered-off'));

  const down = nestlab(['down', ...s]);
  assert.equal(down.code, 0);
  assert.equal(down.json().lab, 'small');
  const gone = nestlab(['ls', ...s]);
  assert.equal(gone.code, 1);
  assert.equal(gone.json().code, 'no-lab');
});

test('up exits 3 when a power-on is refused, and still applies the rest', () => {
  const { file, state } = labFile(SMALL_LAB.replace('    memory: 32GB\n', '    memory: 32GB\n    maintenance: true\n'));
  const r = nestlab(['up', file, '--state', state, '--json']);
  assert.equal(r.code, 3);
  const j = r.json();
  assert.deepEqual(j.failed.map((f: { name: string; error: { code: string } }) => [f.name, f.error.code]), [['nested-esx', 'host-in-maintenance'], ['web', 'host-not-running']]);
  assert.ok(j.created.length > 10);
});

test('an invalid file applies nothing', () => {
  const { file, state } = labFile();
  nestlab(['up', file, '--state', state]);
  const before = nestlab(['ls', '--state', state, '--json']).stdout;
  writeFileSync(file, SMALL_LAB.replace('memory: 1GB', 'memory: 1 gigabyte').replace('cpus: 2, memory: 4GB', 'cpus: 2, memory: 5GB'));
  const r = nestlab(['up', file, '--state', state, '--json']);
  assert.equal(r.code, 1);
  assert.equal(r.json().valid, false);
  assert.equal(nestlab(['ls', '--state', state, '--json']).stdout, before);
});

test('determinism: the same file and commands give byte-identical JSON and event logs', () => {
  const runs = [0, 1].map(() => {
    const { file, state } = labFile();
    const s = ['--state', state, '--json'];
    const outputs = [
      nestlab(['up', file, ...s]).stdout,
      nestlab(['power', 'off', 'nested-esx', ...s]).stdout,
      nestlab(['advance', '90s', ...s]).stdout,
      nestlab(['power', 'on', 'nested-esx', ...s]).stdout,
      nestlab(['up', file, ...s]).stdout,
      nestlab(['show', 'web', ...s]).stdout,
      nestlab(['ls', ...s]).stdout,
      nestlab(['tasks', ...s]).stdout,
      nestlab(['events', ...s]).stdout,
    ];
    return outputs.map((o) => o.replaceAll(file, 'LAB'));
  });
  assert.deepEqual(runs[0], runs[1]);
  assert.ok(runs[0]![8]!.includes('vm.powered-on'));
});

test('human output: tables, and colours only when allowed (NO_COLOR)', () => {
  const { file, state } = labFile();
  nestlab(['up', file, '--state', state]);
  const ls = nestlab(['ls', 'vms', '--state', state]);
  assert.match(ls.stdout, /^NAME\s+KIND\s+PARENT\s+STATE/m);
  assert.doesNotMatch(ls.stdout, /\x1b\[/); // eslint-disable-line no-control-regex
  const forced = nestlab(['ls', 'vms', '--state', state], { env: { FORCE_COLOR: '1', NO_COLOR: '' } });
  assert.match(forced.stdout, /\x1b\[/); // eslint-disable-line no-control-regex
});

test('schema prints the JSON Schema', () => {
  const r = nestlab(['schema']);
  assert.equal(r.code, 0);
  assert.equal(r.json().title, 'nestlab lab file');
});

test('a state that is not a directory, or not a database, is a clear error (exit 1), not a crash', () => {
  const dir = tempDir();
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const r = nestlab(['up', join(import.meta.dirname, '..', 'examples', 'minimal.yaml'), '--state', file, '--json']);
  assert.equal(r.code, 1);
  assert.equal(r.json().code, 'state-unusable');
  const corrupt = join(dir, 'corrupt');
  nestlab(['up', join(import.meta.dirname, '..', 'examples', 'minimal.yaml'), '--state', corrupt]);
  writeFileSync(join(corrupt, 'state.db'), 'garbage '.repeat(64));
  const c = nestlab(['ls', '--state', corrupt, '--json']);
  assert.equal(c.code, 1);
  assert.equal(c.json().code, 'state-corrupt');
});
