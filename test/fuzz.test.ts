// The bar: "Bad input never crashes anything and never half-applies".
//
// Mutated lab files — random YAML edits of examples/*.yaml and SMALL_LAB: lines deleted,
// duplicated, swapped and moved, indentation changed, tabs, scalars replaced with values of the
// wrong type (strings, numbers, lists, maps, null), huge numbers, unicode and emoji names, very
// long strings, invalid UTF-8, anchors and aliases (a "billion laughs" bomb, self-referential
// `&a [*a]`), several documents, nesting cycles (a VM on itself, a on b and b on a), required
// fields removed — are fed
//   - by the thousand to validation in-process (`loadLabText`, fast): it never throws, and every
//     rejection has a kebab-case code, a message and a line and column inside the file;
//   - by the hundred to the CLI, spawned: `nestlab validate --json` exits 0 or 1 (never 4, never
//     a crash) with exactly one JSON document on stdout that agrees with the in-process result;
//     `nestlab up --json` on a state already holding a good lab exits 0 or 3 (the mutant was
//     valid) or exits 1 with the state exactly as it was (every table of the SQLite state, and
//     `nestlab ls --json` / `nestlab events --json` for a sample) — nothing half-applied; and a
//     refused `up` reports the error shape spec/cli.md gives errors in JSON: { code, message }.
// The fast-check seed is fixed (FUZZ_SEED overrides it), so a run is deterministic; a failure
// prints the seed, the mutations and the mutant's text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { loadLabText, type LoadedLab } from '../src/plan/load.js';
import type { Diagnostic } from '../src/spec/diagnostics.js';
import { BIN, ROOT, SMALL_LAB, tempDir } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6e65_7374); // "nest"
const IN_PROCESS_RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const CLI_UP_RUNS = Number(process.env.FUZZ_CLI_RUNS ?? 160);
const CLI_VALIDATE_RUNS = 40;
/** Refused `up`s whose `ls --json` and `events --json` are compared through the CLI too. */
const CLI_STATE_COMPARE = 10;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

// ---- the corpus ---------------------------------------------------------------------------

interface Base { name: string; text: string }

const BASES: Base[] = [
  ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => ({ name: `examples/${f}`, text: readFileSync(join(ROOT, 'examples', f), 'utf8') })),
  { name: 'SMALL_LAB', text: SMALL_LAB },
];

// ---- mutations ----------------------------------------------------------------------------

type Mutation =
  | { op: 'delete-lines'; at: number; count: number }
  | { op: 'duplicate-lines'; at: number; count: number }
  | { op: 'swap-lines'; at: number; with: number }
  | { op: 'move-lines'; at: number; count: number; to: number }
  | { op: 'indent'; at: number; delta: number }
  | { op: 'tabs'; at: number; all: boolean }
  | { op: 'replace-value'; at: number; pick: number; value: string }
  | { op: 'insert-line'; at: number; text: string }
  | { op: 'prepend'; text: string }
  | { op: 'append'; text: string }
  | { op: 'drop-field'; field: string; pick: number }
  | { op: 'rehost'; pick: number; target: number }
  | { op: 'insert-text'; at: number; text: string }
  | { op: 'raw-bytes'; at: number; bytes: number[] };

const bomb = (levels: number, width: number): string => {
  const row = (item: string) => `[${Array.from({ length: width }, () => item).join(', ')}]`;
  const out = [`lol0: &l0 ${row('lol')}`];
  for (let i = 1; i <= levels; i++) out.push(`lol${i}: &l${i} ${row(`*l${i - 1}`)}`);
  return out.join('\n');
};
const BILLION_LAUGHS = bomb(9, 10);

/** Values of every wrong (and some right) type, for any field. */
const WEIRD_VALUES = [
  '~', 'null', '', '[]', '{}', '[1, 2, 3]', '{ a: 1 }', '[[[[]]]]', '{ name: { name: { name: x } } }', 'true', 'false', 'yes', 'on', 'off',
  '0', '-0', '-1', '1', '3.5', '1e308', '-1e308', '1e400', '-1e400', '1e-400', '9007199254740993', '-9007199254740993', '18446744073709551616',
  '1' + '0'.repeat(400), '.nan', '.inf', '-.inf', '0x1F', '0o17', '0b101', '1_000', '4095', '4096', '65536', '-4GB', '0GB', '1e400GB', '99999999999TB',
  '1.5GB', '12 GB', 'NaN', 'Infinity', '"12"', "'x'", '"\\ud800"', '"\\udfff\\ud800"', '"\\x00"', '"\\xff\\xfe"', '"\\U0001F600"',
  '!!binary aGVsbG8=', '!!str 5', '!!int "7"', '!!float x', '!!timestamp 2001-12-14', '!!set { a, b }', '!!omap [a: 1]', '!!map []', '!custom x', '!<tag:x> y',
  '&anchor 5', '*a', '*l9', '*nosuchalias', '&a [*a]', '&m { self: *m }', '"unterminated', "'unterminated", '{ unclosed', '[ unclosed', '}', ']',
  '|\n  block', '>-\n  folded', '? complex', '- item', '@reserved', '`backtick', '%directive', '#comment', ': colon', '"a" "b"', 'a: b: c',
  'Ω', 'ñame', 'имя', '名前', 'α-β', 'e\u0301', 'Ⅻ', '𝔘𝔫𝔦', '😀', 'vm-😀', '👨‍👩‍👧‍👦', '😀'.repeat(300), '\u202eevil', 'zero\u200bwidth', '\u00a0nbsp', 'a\u2028b', 'a\u0085b',
  '\ufeff', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x'.repeat(4096), 'y'.repeat(100_000), 'esx1', 'nested-esx', 'web', 'core/p1', 'Trunk', 'VM Network',
];

/** Lines that break YAML or the schema wherever they land. */
const WEIRD_LINES = [
  '---', '...', '--- !!map', '%YAML 1.2', '%TAG ! tag:example.com,2000:', '\t- name: tab', '  \t  cpus: 2', '- ', '-', ':', '? [a, b]', ': c', '[a]: b', '{ a: 1 }: 2',
  '<<: *a', '<<: { cpus: 1 }', 'lab: duplicate', 'name: duplicate', '  - { name: dup }', '&a', '*a', 'x: &a [*a]', '# just a comment', '    ', '\r', 'é: ü', '😀: 😀',
  'key: "multi\nline', 'vms: ~', 'hosts: {}', 'vms: [1, 2, 3]', 'hosts: [[[]]]',
];

/** Whole top-level blocks: alias bombs, self-references, extra documents, directives. */
const TOP_LEVEL = [
  BILLION_LAUGHS, bomb(5, 30), bomb(3, 5), 'loop: &a [*a]', 'loopmap: &m { self: *m }', 'deep: &d [[[[*d]]]]', 'pair: &p [&q [*p, *q]]',
  'defaults: &defaults { cpus: 1, memory: 1GB }', 'x: *undefined', '---\nlab: second\nhosts: []', '---', '...\n---\nlab: again', '%YAML 1.1\n---',
  'lab: dup', 'lab: [a, b]', 'lab: *a', 'vms: &a [*a]', 'hosts: &h [{ name: h1, cpu: xeon-e3-1230-v3, memory: 8GB, nested: *h }]', '"lab": "quoted-dup"',
  '? [complex, key]\n: value', `description: ${'z'.repeat(200_000)}`, 'settings: { seed: 1e400 }', 'vcenter: 😀',
];

const FIELDS = ['lab', 'name', 'cpu', 'memory', 'cpus', 'host', 'cluster', 'network', 'connect', 'uplinks', 'type', 'capacity', 'hosts', 'vms', 'switches', 'portgroups', 'nested', 'vlan', 'ip', 'members'];

/** Raw byte sequences that are not (all) valid UTF-8, or that are valid but unusual. */
const BYTES = [
  [0xff], [0xfe, 0xff], [0xc0, 0x80], [0xc3], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x00], [0x1b, 0x5b, 0x32, 0x4a], [0xef, 0xbb, 0xbf], [0x0d], [0xc2, 0x85], [0xe2, 0x80, 0xa8], [0x80, 0x80, 0x80], [0x09, 0x09],
];

const atArb = fc.nat({ max: 10_000 });
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WEIRD_VALUES) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom(256, 65_536, 150_000).map((n) => 'n'.repeat(n)) },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete-lines' as const), at: atArb, count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicate-lines' as const), at: atArb, count: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('swap-lines' as const), at: atArb, with: atArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('move-lines' as const), at: atArb, count: fc.integer({ min: 1, max: 10 }), to: atArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('indent' as const), at: atArb, delta: fc.integer({ min: -6, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tabs' as const), at: atArb, all: fc.boolean() }) },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('replace-value' as const), at: atArb, pick: atArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert-line' as const), at: atArb, text: fc.constantFrom(...WEIRD_LINES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('prepend' as const), text: fc.constantFrom(...TOP_LEVEL) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('append' as const), text: fc.constantFrom(...TOP_LEVEL) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('drop-field' as const), field: fc.constantFrom(...FIELDS), pick: atArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rehost' as const), pick: atArb, target: atArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert-text' as const), at: atArb, text: fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('\t', '\0', '\r', '\ud800', '\udfff', '\ufeff', '\u2028', '😀', ': ', '- ', '&a ', '*a', '"', "'", '{', '[', '#')) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('raw-bytes' as const), at: atArb, bytes: fc.oneof(fc.constantFrom(...BYTES), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 })) }) },
);

/** Start and end (exclusive) of the value of every `key: value` on a line: scalars, and flow lists and maps. */
function valueSpans(line: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const re of [/[A-Za-z][A-Za-z0-9_]*: +([^,{}[\]\n]+)/g, /[A-Za-z][A-Za-z0-9_]*: +(\[[^[\]\n]*\]|\{[^{}\n]*\})/g]) {
    for (const m of line.matchAll(re)) {
      const end = m.index + m[0].length;
      spans.push([end - m[1]!.length, end - (m[1]!.length - m[1]!.trimEnd().length)]);
    }
  }
  return spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

const indentOf = (line: string): number => /^[ -]*/.exec(line)![0].length;

function applyLineMutation(lines: string[], m: Mutation): string[] {
  const n = lines.length;
  const at = 'at' in m ? m.at % n : 0;
  switch (m.op) {
    case 'delete-lines':
      return [...lines.slice(0, at), ...lines.slice(at + m.count)];
    case 'duplicate-lines': {
      const block = lines.slice(at, at + m.count);
      return [...lines.slice(0, at + block.length), ...block, ...lines.slice(at + block.length)];
    }
    case 'swap-lines': {
      const out = [...lines];
      const j = m.with % n;
      [out[at], out[j]] = [out[j]!, out[at]!];
      return out;
    }
    case 'move-lines': {
      const block = lines.slice(at, at + m.count);
      const rest = [...lines.slice(0, at), ...lines.slice(at + m.count)];
      const to = m.to % (rest.length + 1);
      return [...rest.slice(0, to), ...block, ...rest.slice(to)];
    }
    case 'indent': {
      const out = [...lines];
      const line = out[at]!;
      out[at] = m.delta >= 0 ? ' '.repeat(m.delta) + line : line.replace(new RegExp(`^ {0,${-m.delta}}`), '');
      return out;
    }
    case 'tabs':
      return lines.map((line, i) => (m.all || i === at ? line.replace(/^( {2})+/, (s) => '\t'.repeat(s.length / 2)) : line));
    case 'replace-value': {
      // The first line at or after `at` that has a value.
      for (let k = 0; k < n; k++) {
        const i = (at + k) % n;
        const spans = valueSpans(lines[i]!);
        if (!spans.length) continue;
        const [s, e] = spans[m.pick % spans.length]!;
        const out = [...lines];
        const line = lines[i]!;
        // A multi-line value gets the line's indentation on its continuation lines.
        const value = m.value.replace(/\n/g, `\n${' '.repeat(indentOf(line) + 2)}`);
        out[i] = line.slice(0, s) + value + line.slice(e);
        return out;
      }
      return lines;
    }
    case 'insert-line': {
      const indent = ' '.repeat(indentOf(lines[at]!));
      return [...lines.slice(0, at), ...m.text.split('\n').map((l) => indent + l), ...lines.slice(at)];
    }
    case 'prepend':
      return [...m.text.split('\n'), ...lines];
    case 'append': {
      const out = [...lines];
      while (out.length && out[out.length - 1] === '') out.pop();
      return [...out, ...m.text.split('\n'), ''];
    }
    case 'drop-field': {
      // Every `field:` that starts a line, a list item or a flow-map entry.
      const re = new RegExp(`(^[ ]*(?:- +)?|[{,] *)${m.field}: *`, 'g');
      const hits: Array<{ line: number; start: number; keyEnd: number }> = [];
      lines.forEach((line, i) => {
        for (const h of line.matchAll(re)) hits.push({ line: i, start: h.index + h[1]!.length, keyEnd: h.index + h[0].length });
      });
      if (!hits.length) return lines;
      const hit = hits[m.pick % hits.length]!;
      const line = lines[hit.line]!;
      const rest = line.slice(hit.keyEnd);
      const flow = /^(\[[^\]]*\]|\{[^}]*\}|[^,}\]]*)\s*,?\s*/.exec(rest)!;
      const out = [...lines];
      out[hit.line] = line.slice(0, hit.start) + rest.slice(flow[0].length);
      if (rest.trim() === '') {
        // A block value: its lines go too.
        let end = hit.line + 1;
        while (end < n && (lines[end]!.trim() === '' || /^ */.exec(lines[end]!)![0].length > hit.start)) end++;
        out.splice(hit.line + 1, end - hit.line - 1);
      }
      if (out[hit.line]!.trim() === '' || out[hit.line]!.trim() === '-') {
        if (/^ *- *$/.test(out[hit.line]!)) return out; // the item's other fields follow on their own lines
        out.splice(hit.line, 1);
      }
      return out;
    }
    case 'rehost': {
      // Point a `host:` or `cluster:` at another name — often a VM, itself, or its own nested VM: cycles.
      const text = lines.join('\n');
      const names = [...text.matchAll(/\bname: *([A-Za-z0-9][\w.-]*)/g)].map((x) => x[1]!);
      const refs: Array<{ line: number; start: number; end: number }> = [];
      lines.forEach((line, i) => {
        for (const h of line.matchAll(/\b(?:host|cluster): *([A-Za-z0-9][\w.-]*)/g)) {
          refs.push({ line: i, start: h.index + h[0].length - h[1]!.length, end: h.index + h[0].length });
        }
      });
      if (!refs.length || !names.length) return lines;
      const ref = refs[m.pick % refs.length]!;
      let target: string;
      if (m.target % 3 === 0) {
        // itself: the nearest `name:` at or above the reference
        const above = lines.slice(0, ref.line + 1).join('\n');
        target = [...above.matchAll(/\bname: *([A-Za-z0-9][\w.-]*)/g)].pop()?.[1] ?? names[0]!;
      } else target = names[m.target % names.length]!;
      const out = [...lines];
      const line = lines[ref.line]!;
      out[ref.line] = line.slice(0, ref.start) + target + line.slice(ref.end);
      return out;
    }
    default:
      return lines;
  }
}

interface Mutant {
  base: number;
  mutations: Mutation[];
  /** the mutant as a string (it may hold lone surrogates and NULs) */
  text: string;
  /** the file written for the CLI: `text` as UTF-8 with raw, possibly invalid, bytes spliced in */
  bytes: Buffer;
  /** what the CLI reads from the file: `bytes` decoded as UTF-8 */
  decoded: string;
}

function makeMutant(base: number, mutations: Mutation[]): Mutant {
  let text = BASES[base]!.text;
  const raw: Array<{ at: number; bytes: number[] }> = [];
  for (const m of mutations) {
    if (m.op === 'raw-bytes') raw.push({ at: m.at, bytes: m.bytes });
    else if (m.op === 'insert-text') {
      const at = m.at % (text.length + 1);
      text = text.slice(0, at) + m.text + text.slice(at);
    } else text = applyLineMutation(text.split('\n'), m).join('\n');
  }
  let bytes = Buffer.from(text, 'utf8');
  for (const r of raw) {
    const at = r.at % (bytes.length + 1);
    bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(r.bytes), bytes.subarray(at)]);
  }
  return { base, mutations, text, bytes, decoded: bytes.toString('utf8') };
}

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);

/** How a failing mutant is printed: seed, base, mutations, and the text with line numbers. */
function describeMutant(m: Mutant): string {
  const ops = m.mutations.map((x) => `  ${clip(JSON.stringify(x), 200)}`).join('\n');
  const numbered = m.decoded.split('\n').map((l, i) => `${String(i + 1).padStart(4)} | ${clip(l, 300)}`).join('\n');
  return `mutant of ${BASES[m.base]!.name} (fuzz seed ${SEED}):\n${ops}\n--- text ---\n${clip(numbered, 30_000)}\n--- end ---`;
}

const mutantArb: fc.Arbitrary<Mutant> = fc
  .record({ base: fc.nat({ max: BASES.length - 1 }), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) })
  .map(({ base, mutations }) => {
    const m = makeMutant(base, mutations);
    return Object.assign(m, { [fc.toStringMethod]: () => describeMutant(m) });
  });

// ---- properties ---------------------------------------------------------------------------

/** (b) A finding has a kebab-case code, a message, and a line and column inside the file. */
function checkDiagnostic(d: Diagnostic, text: string, file: string, what: string): void {
  assert.equal(typeof d.code, 'string', `${what}: code is a string`);
  assert.match(d.code, KEBAB, `${what}: code "${d.code}" is kebab-case`);
  assert.ok(typeof d.message === 'string' && d.message.trim().length > 0, `${what} [${d.code}]: has a message`);
  assert.equal(typeof d.path, 'string', `${what} [${d.code}]: path is a string`);
  assert.equal(d.file, file, `${what} [${d.code}]: names the file`);
  assert.ok(Number.isInteger(d.line) && d.line >= 1, `${what} [${d.code}]: line ${d.line} ≥ 1`);
  assert.ok(Number.isInteger(d.column) && d.column >= 1, `${what} [${d.code}]: column ${d.column} ≥ 1`);
  const lines = text.split('\n');
  assert.ok(d.line <= lines.length, `${what} [${d.code}]: line ${d.line} is in the file (${lines.length} lines)`);
  assert.ok(d.column <= lines[d.line - 1]!.length + 1, `${what} [${d.code}]: column ${d.column} is on line ${d.line} (${lines[d.line - 1]!.length} chars)`);
  if (d.hint !== undefined) assert.equal(typeof d.hint, 'string');
}

/** (a) and (b) for one text; returns the result. */
function checkLoad(text: string, file = 'lab.yaml'): LoadedLab {
  let r: LoadedLab;
  try {
    r = loadLabText(file, text);
  } catch (e) {
    assert.fail(`loadLabText threw: ${(e as Error).stack ?? String(e)}`);
  }
  assert.equal(typeof r.ok, 'boolean');
  assert.ok(Array.isArray(r.warnings));
  if (r.ok) assert.ok(r.inventory && r.spec, 'an accepted lab has an inventory');
  else {
    assert.ok(Array.isArray(r.errors) && r.errors.length > 0, 'a rejection names at least one error');
    for (const e of r.errors) checkDiagnostic(e, text, file, 'error');
  }
  for (const w of r.warnings) {
    checkDiagnostic(w, text, file, 'warning');
    assert.equal(w.rule, w.code, 'a warning names its lint rule');
  }
  return r;
}

// Fixed cases: the specific inputs the brief names, checked for the code they must produce.
const CYCLE_NESTED = (name: string, host: string) => `  - name: ${name}
    host: ${host}
    cpus: 2
    memory: 4GB
    exposeHardwareVirtualization: true
    nested:
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }]
`;
const CYCLE_BASE = 'lab: cycles\nhosts:\n  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 64GB }\nvms:\n';

test('fixed bad inputs: bombs, self-references, documents, cycles are refused with a code and a position', () => {
  // [what, text, the codes any one of which the rejection must include]
  const cases: Array<[string, string, string]> = [
    ['billion laughs', `lab: x\n${BILLION_LAUGHS}\n`, 'yaml-alias'],
    ['self-referential list alias', 'lab: x\nvms: &a [*a]\n', 'yaml-alias'],
    ['self-referential map alias', 'lab: x\nhosts: &h { x: *h }\n', 'yaml-alias'],
    ['two documents', `${SMALL_LAB}---\nlab: other\n`, 'yaml-syntax'],
    ['tab indentation', SMALL_LAB.replace('  - name: esx1', '\t- name: esx1'), 'yaml-syntax'],
    ['1e400', SMALL_LAB.replace('cpus: 2', 'cpus: 1e400'), 'invalid-type|invalid-value'],
    ['a VM hosted on itself', CYCLE_BASE + CYCLE_NESTED('a', 'a'), 'nesting-cycle'],
    ['a on b, b on a', CYCLE_BASE + CYCLE_NESTED('a', 'b') + CYCLE_NESTED('b', 'a'), 'nesting-cycle'],
    ['a nested VM hosting its own host', SMALL_LAB.replace('    host: esx1\n    cpus: 2\n    memory: 8GB', '    host: nested-esx\n    cpus: 2\n    memory: 8GB'), 'nesting-cycle'],
    ['no lab', SMALL_LAB.replace('lab: small\n', ''), 'missing-field'],
    ['empty file', '', 'invalid-type'],
  ];
  for (const [what, text, code] of cases) {
    const started = performance.now();
    const r = checkLoad(text);
    assert.ok(performance.now() - started < 5000, `${what}: refused quickly`);
    assert.equal(r.ok, false, `${what}: refused`);
    if (!r.ok) assert.ok(r.errors.some((e) => code.split('|').includes(e.code)), `${what}: expected ${code}, got ${r.errors.map((e) => e.code).join(', ')}`);
  }
});

test(`validation never throws and every rejection is located (${IN_PROCESS_RUNS} mutants, in-process)`, (t) => {
  t.diagnostic(`fuzz seed ${SEED} (set FUZZ_SEED to replay another)`);
  const codes = new Map<string, number>();
  let accepted = 0;
  let rejected = 0;
  let slowest = 0;
  const started = performance.now();
  fc.assert(
    fc.property(mutantArb, (m) => {
      const t0 = performance.now();
      const r = checkLoad(m.text);
      if (m.decoded !== m.text) checkLoad(m.decoded);
      slowest = Math.max(slowest, performance.now() - t0);
      if (r.ok) accepted++;
      else {
        rejected++;
        for (const e of new Set(r.errors.map((x) => x.code))) codes.set(e, (codes.get(e) ?? 0) + 1);
      }
    }),
    { seed: SEED, numRuns: IN_PROCESS_RUNS, includeErrorInReport: true },
  );
  t.diagnostic(`${accepted} accepted, ${rejected} rejected in ${((performance.now() - started) / 1000).toFixed(1)} s; slowest ${slowest.toFixed(0)} ms`);
  t.diagnostic(`rejection codes: ${[...codes].sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c} ${k}`).join(', ')}`);
  if (IN_PROCESS_RUNS < 1000) return; // a short replay (FUZZ_RUNS) need not cover every code
  assert.ok(accepted > 0 && rejected > 0, 'the mutants include both valid and invalid labs');
  for (const code of ['yaml-syntax', 'yaml-alias', 'invalid-type', 'invalid-value', 'missing-field', 'unknown-field']) {
    assert.ok(codes.has(code), `the mutants reach ${code}`);
  }
});

// ---- the CLI --------------------------------------------------------------------------------

interface Spawned { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

function run(args: string[], timeoutMs = 30_000): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

async function pool<T>(items: T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  }));
}

/** Every row of every table of the state, in a canonical order: what "unchanged" means. */
function dumpState(dir: string): string {
  const file = join(dir, 'state.db');
  if (!existsSync(file)) return '(no state)';
  const db = new Database(file, { fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    return tables.map((t) => `${t}\n${(db.prepare(`SELECT * FROM "${t}"`).raw().all() as unknown[][]).map((r) => JSON.stringify(r)).sort().join('\n')}`).join('\n');
  } finally {
    db.close();
  }
}

/** Exactly one JSON document on stdout, or a reason why not. */
function oneJson(r: Spawned): { doc?: Record<string, unknown>; problem?: string } {
  try {
    const doc = JSON.parse(r.stdout) as unknown;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { problem: 'stdout is JSON but not an object' };
    return { doc: doc as Record<string, unknown> };
  } catch (e) {
    return { problem: `stdout is not exactly one JSON document (${(e as Error).message}): ${clip(JSON.stringify(r.stdout), 400)}` };
  }
}

const sameExceptFile = (a: Diagnostic[], b: Diagnostic[]): boolean =>
  JSON.stringify(a.map((d) => ({ ...d, file: '' }))) === JSON.stringify(b.map((d) => ({ ...d, file: '' })));

test(`the CLI: validate exits 0 or 1 with one JSON document; a refused up changes nothing (${CLI_UP_RUNS} mutants, spawned)`, { timeout: 300_000 }, async (t) => {
  t.diagnostic(`fuzz seed ${SEED}`);
  const started = performance.now();
  const work = tempDir('nestlab-fuzz-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  // Failures by property, each reported by its own subtest below.
  type Property = 'validate' | 'up-exit' | 'up-unchanged' | 'up-error-shape';
  const failures: Array<{ property: Property; kind: string; mutant: Mutant; detail: string }> = [];
  const failOf = (property: Property) => (kind: string, mutant: Mutant, detail: string) => { failures.push({ property, kind, mutant, detail }); };

  // A deterministic sample; half of it valid mutants where there are enough, so `up` also
  // applies changes to an existing lab, not only refuses them.
  const candidates = fc.sample(mutantArb, { seed: SEED + 1, numRuns: CLI_UP_RUNS * 4 });
  const validity = candidates.map((m) => loadLabText('lab.yaml', m.decoded).ok);
  const valid = candidates.filter((_, i) => validity[i]);
  const invalid = candidates.filter((_, i) => !validity[i]);
  const nValid = Math.min(valid.length, Math.floor(CLI_UP_RUNS / 2));
  const sample = [...invalid.slice(0, CLI_UP_RUNS - nValid), ...valid.slice(0, nValid)];
  // Interleave so the validate and compare subsets see both kinds.
  sample.sort((a, b) => candidates.indexOf(a) - candidates.indexOf(b));

  // One state per base file, holding that good lab; every `up` gets its own copy.
  const pristine = new Map<number, { dir: string; dump: string; cli?: { ls: string; events: string } }>();
  await pool([...new Set(sample.map((m) => m.base))], 2, async (base) => {
    const dir = join(work, `pristine-${base}`);
    const file = join(work, `base-${base}.yaml`);
    writeFileSync(file, BASES[base]!.text);
    const r = await run(['up', file, '--state', dir, '--json']);
    assert.ok(r.code === 0 || r.code === 3, `${BASES[base]!.name} applies: ${r.stderr}${r.stdout.slice(0, 2000)}`);
    const [ls, events] = await Promise.all([run(['ls', '--state', dir, '--json']), run(['events', '--state', dir, '--json'])]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(events.code, 0, events.stderr);
    pristine.set(base, { dir, dump: dumpState(dir), cli: { ls: ls.stdout, events: events.stdout } });
  });

  const exits = new Map<string, number>();
  const count = (k: string) => exits.set(k, (exits.get(k) ?? 0) + 1);
  let compared = 0;
  const width = Math.max(2, Math.min(4, availableParallelism()));

  await pool(sample, width, async (m, i) => {
    const file = join(work, `m${i}.yaml`);
    writeFileSync(file, m.bytes);
    const base = pristine.get(m.base)!;

    // (c) validate: 0 or 1, one JSON document, the same verdict and errors as in-process.
    if (i < CLI_VALIDATE_RUNS) {
      const fail = failOf('validate');
      const v = await run(['validate', file, '--json', '--state', join(work, 'no-state')]);
      count(`validate→${v.code ?? v.signal}`);
      const { doc, problem } = oneJson(v);
      if (v.code !== 0 && v.code !== 1) fail(`validate exit ${v.code ?? v.signal}${v.timedOut ? ' (timed out)' : ''}`, m, `${clip(v.stderr, 3000)}\n${clip(v.stdout, 2000)}`);
      else if (problem) fail('validate stdout', m, problem);
      else {
        const expected = loadLabText(file, m.decoded);
        const errors = (doc!.errors ?? []) as Diagnostic[];
        if (doc!.valid !== (v.code === 0)) fail('validate valid≠exit', m, `exit ${v.code}, valid ${String(doc!.valid)}`);
        if (doc!.valid !== expected.ok) fail('validate disagrees with loadLabText', m, `CLI valid ${String(doc!.valid)}, in-process ${expected.ok}`);
        else if (!expected.ok && !sameExceptFile(errors, expected.errors)) fail('validate errors differ from loadLabText', m, `${clip(JSON.stringify(errors), 1500)}\nvs\n${clip(JSON.stringify(expected.errors), 1500)}`);
        try {
          for (const e of errors) checkDiagnostic(e, m.decoded, file, 'validate error');
        } catch (e) {
          fail('validate error shape', m, (e as Error).message);
        }
      }
    }

    // (d) up on a state holding the good lab: 0/3, or 1 with the state untouched.
    const state = join(work, `s${i}`);
    cpSync(base.dir, state, { recursive: true });
    const u = await run(['up', file, '--state', state, '--json']);
    const fail = failOf('up-exit');
    count(`up→${u.code ?? u.signal}`);
    const { doc, problem } = oneJson(u);
    if (u.code !== 0 && u.code !== 1 && u.code !== 3) {
      fail(`up exit ${u.code ?? u.signal}${u.timedOut ? ' (timed out)' : ''}`, m, `${clip(u.stderr, 3000)}\n${clip(u.stdout, 2000)}`);
      return;
    }
    if (problem) fail('up stdout', m, problem);
    if (u.code === 1) {
      const after = dumpState(state);
      if (after !== base.dump) failOf('up-unchanged')('up exit 1 changed the state (half-applied)', m, `state differs from before; stdout ${clip(u.stdout, 1500)}`);
      // spec/cli.md: errors in JSON are { code: kebab-case, message, ...details }.
      if (doc && (typeof doc.code !== 'string' || !KEBAB.test(doc.code) || typeof doc.message !== 'string')) {
        failOf('up-error-shape')('up exit 1 JSON lacks { code, message }', m, `keys: ${Object.keys(doc).join(', ')}`);
      }
      if (compared < CLI_STATE_COMPARE && base.cli) {
        compared++;
        const [ls, events] = await Promise.all([run(['ls', '--state', state, '--json']), run(['events', '--state', state, '--json'])]);
        if (ls.stdout !== base.cli.ls || ls.code !== 0) failOf('up-unchanged')('up exit 1 changed `nestlab ls --json`', m, clip(ls.stdout + ls.stderr, 2000));
        if (events.stdout !== base.cli.events || events.code !== 0) failOf('up-unchanged')('up exit 1 changed `nestlab events --json`', m, clip(events.stdout + events.stderr, 2000));
      }
    } else if (doc) {
      for (const k of ['lab', 'created', 'updated', 'deleted', 'poweredOn', 'failed']) if (!(k in doc)) fail('up result keys', m, `no "${k}" in ${Object.keys(doc).join(', ')}`);
      const failed = doc.failed as unknown[] | undefined;
      if (Array.isArray(failed) && (failed.length > 0) !== (u.code === 3)) fail('up exit 3 ⇔ failed', m, `exit ${u.code}, ${failed.length} failed`);
    }
  });

  t.diagnostic(`${sample.length} mutants (${nValid} valid in-process), exits: ${[...exits].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}; ${compared} compared through ls/events; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const verdict = async (property: Property, name: string) => t.test(name, () => {
    const mine = failures.filter((f) => f.property === property);
    if (!mine.length) return;
    const kinds = new Map<string, typeof mine>();
    for (const f of mine) kinds.set(f.kind, [...(kinds.get(f.kind) ?? []), f]);
    const report = [...kinds].map(([kind, fs]) => `■ ${kind}: ${fs.length} mutant(s); the first:\n${fs[0]!.detail}\n${describeMutant(fs[0]!.mutant)}`).join('\n\n');
    assert.fail(`${mine.length} failure(s) with fuzz seed ${SEED}:\n\n${report}`);
  });
  await verdict('validate', '(c) validate --json exits 0 or 1 with exactly one JSON document that agrees with loadLabText');
  await verdict('up-exit', '(d) up --json exits 0, 1 or 3 (never 4, never a crash) with exactly one JSON document');
  await verdict('up-unchanged', '(d) a refused up (exit 1) leaves the state exactly as it was: nothing half-applied');
  await verdict('up-error-shape', 'a refused up reports { code, message } as spec/cli.md says errors in JSON are');
});
