// Lab file → validated LabSpec. YAML is read with js-yaml (YAML 1.2 core schema: `on`/`off` stay
// strings), which is an order of magnitude faster than a positional parse on large labs; the
// positional `yaml` document is built only when a diagnostic needs a line and column.
import jsyaml from 'js-yaml';
import type * as z from 'zod';
import { positionalYaml } from './yaml.js';
import { labFile, labJsonSchema, type LabSpec } from './schema.js';
import { show, valueAt, type Finding, type Path, type PathSegment } from './diagnostics.js';
import { didYouMean } from './suggest.js';

export type ParseResult = { ok: true; spec: LabSpec; data: unknown } | { ok: false; errors: Finding[]; data?: unknown };

/** At most this many nodes after alias expansion (a guard against "billion laughs" documents). */
const MAX_EXPANDED_NODES = 5_000_000;
const MAX_ERRORS = 100;

export function parseLabText(text: string): ParseResult {
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch (err) {
    return { ok: false, errors: yamlSyntaxErrors(text, err) };
  }
  const shape = checkShape(data, text);
  if (shape) return { ok: false, errors: [shape], data };
  const result = labFile.safeParse(data);
  if (!result.success) return { ok: false, errors: zodFindings(result.error.issues, data).slice(0, MAX_ERRORS), data };
  return { ok: true, spec: result.data, data };
}

function yamlSyntaxErrors(text: string, err: unknown): Finding[] {
  // The positional parser gives the better message; fall back to js-yaml's own.
  const doc = positionalYaml().parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const message = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return [{ code: 'yaml-syntax', message: `YAML syntax: ${message}`, path: [], offset: first.pos[0] }];
  }
  const e = err as { reason?: string; mark?: { position?: number } };
  return [{
    code: 'yaml-syntax',
    message: `YAML: ${e.reason ?? String(err)}`,
    path: [],
    offset: e.mark?.position ?? 0,
    hint: 'nestlab reads YAML 1.2 (core schema) with unique keys and a single document',
  }];
}

/** The document must be one mapping, finite after alias expansion and free of alias cycles. */
function checkShape(data: unknown, text: string): Finding | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { code: 'invalid-type', message: `a lab file is a YAML mapping with at least \`lab:\`; got ${show(data)}`, path: [], hint: 'start the file with `lab: my-lab`' };
  }
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  const expanded = (v: unknown): number => {
    if (v === null || typeof v !== 'object') return 1;
    const known = sizes.get(v);
    if (known !== undefined) return known;
    if (open.has(v)) throw new Error('cycle');
    open.add(v);
    let n = 1;
    for (const child of Object.values(v)) {
      n += expanded(child);
      if (n > MAX_EXPANDED_NODES) break;
    }
    open.delete(v);
    sizes.set(v, n);
    return n;
  };
  let problem: string | undefined;
  try {
    if (expanded(data) > MAX_EXPANDED_NODES) problem = `the document expands to more than ${MAX_EXPANDED_NODES.toLocaleString('en-US')} nodes through aliases`;
  } catch {
    problem = 'an alias refers to a node that contains it (a cycle)';
  }
  if (!problem) return undefined;
  const { parseDocument, visit, isAlias } = positionalYaml();
  const doc = parseDocument(text);
  let offset = 0;
  visit(doc, { Alias(_, node) { if (isAlias(node)) { offset = node.range?.[0] ?? 0; return visit.BREAK; } } });
  return { code: 'yaml-alias', message: `YAML: ${problem}`, path: [], hint: 'expand the aliased part by hand', offset };
}

// ---- zod issues → findings ---------------------------------------------------------------

type Issue = z.core.$ZodIssue;

function zodFindings(issues: readonly Issue[], data: unknown): Finding[] {
  const out: Finding[] = [];
  for (const issue of issues) out.push(...issueFindings(issue, [], data));
  return out;
}

function issueFindings(issue: Issue, base: Path, data: unknown): Finding[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const got = valueAt(data, path);
  if (got === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union')) {
    return [{ code: 'missing-field', message: `${describe(path)} is required`, path, ...optionalHint(requiredHint(path)) }];
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path);
      return issue.keys.map((key) => ({
        code: 'unknown-field',
        message: `unknown field "${key}"${path.length ? ` in ${describe(path)}` : ''}`,
        path: [...path, key],
        atKey: true,
        hint: didYouMean(key, known) ?? (known.length ? `known fields: ${known.join(', ')}` : undefined),
      }));
    }
    case 'invalid_union': {
      // Follow the alternative that got furthest (its issues are deepest); if none got past
      // the union itself, the union's own message says what was expected.
      let best: { depth: number; issues: Issue[] } | undefined;
      for (const branch of issue.errors) {
        const depth = Math.max(...branch.map((i) => i.path.length));
        if (depth > 0 && (!best || depth > best.depth)) best = { depth, issues: branch as Issue[] };
      }
      if (best) return best.issues.flatMap((i) => issueFindings(i, path, data));
      return [{ code: 'invalid-value', message: `${describe(path)}: ${issue.message}; got ${show(got)}`, path }];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const hint = typeof got === 'string' ? didYouMean(got, options) : undefined;
      return [{ code: 'invalid-value', message: `${describe(path)}: expected one of ${options.join(', ')}; got ${show(got)}`, path, ...(hint ? { hint } : {}) }];
    }
    case 'invalid_type':
      return [{ code: 'invalid-type', message: `${describe(path)}: ${plain(issue.message)}; got ${show(got)}`, path }];
    default:
      return [{ code: 'invalid-value', message: `${describe(path)}: ${plain(issue.message)}; got ${show(got)}`, path }];
  }
}

function optionalHint(hint: string | undefined): { hint?: string } {
  return hint ? { hint } : {};
}

function plain(message: string): string {
  return message.replace(/^Invalid input: /, '');
}

function describe(path: Path): string {
  if (path.length === 0) return 'the lab file';
  const last = path[path.length - 1]!;
  const parent = path.slice(0, -1).map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('').replace(/^\./, '');
  return typeof last === 'number' ? `${parent}[${last}]` : parent ? `${parent}.${last}` : String(last);
}

function requiredHint(path: Path): string | undefined {
  const last = path[path.length - 1];
  if (last === 'lab') return 'add `lab: NAME` at the top of the file';
  if (last === 'memory') return 'for example `memory: 4GB`';
  if (last === 'cpus') return 'for example `cpus: 2`';
  if (last === 'cpu') return 'a CPU catalog id such as xeon-e3-1230-v3 (nestlab cpus lists them)';
  return undefined;
}

// ---- known field names, from the JSON Schema ------------------------------------------------

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; additionalProperties?: JsonSchema | boolean };
let jsonSchema: JsonSchema | undefined;

/** Field names allowed at `path` (for "did you mean" on unknown fields). */
export function knownKeys(path: Path): string[] {
  jsonSchema ??= labJsonSchema() as JsonSchema;
  let nodes: JsonSchema[] = [jsonSchema];
  for (const seg of path) {
    const next: JsonSchema[] = [];
    const expand = (s: JsonSchema): void => {
      if (s.anyOf) s.anyOf.forEach(expand);
      if (typeof seg === 'number' && s.items) next.push(s.items);
      if (typeof seg === 'string' && s.properties?.[seg]) next.push(s.properties[seg]);
      if (typeof seg === 'string' && typeof s.additionalProperties === 'object') next.push(s.additionalProperties);
    };
    nodes.forEach(expand);
    nodes = next.flatMap((s) => (s.anyOf ? [s, ...s.anyOf] : [s]));
  }
  return [...new Set(nodes.flatMap((s) => Object.keys(s.properties ?? {})))].sort();
}

