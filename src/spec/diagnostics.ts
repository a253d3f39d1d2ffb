// Diagnostics: what is wrong (or risky) in a lab file, and where. Checks produce `Finding`s that
// point into the document by path; `SourceLocator` turns paths into line and column lazily,
// so a clean lab file is never parsed a second time for positions.
import type { Document, LineCounter, Node } from 'yaml';
import { positionalYaml } from './yaml.js';

export type PathSegment = string | number;
export type Path = readonly PathSegment[];

export interface Finding {
  /** stable kebab-case code: `unknown-reference`, `invalid-value`, … (warnings: the lint rule id) */
  code: string;
  message: string;
  path: Path;
  hint?: string;
  /** point at the key of the last path segment instead of its value (unknown fields) */
  atKey?: boolean;
  /** a character offset in the text, for findings that no path can name (YAML syntax) */
  offset?: number;
}

export interface Diagnostic {
  code: string;
  message: string;
  /** dotted path into the lab file, e.g. `vms[3].nics[0].network` */
  path: string;
  file: string;
  line: number;
  column: number;
  hint?: string;
}

export interface Warning extends Diagnostic {
  /** the lint rule id (same as code) */
  rule: string;
}

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Maps paths to 1-based line and column, parsing the text with positions on first use. */
export class SourceLocator {
  private doc: Document | undefined;
  private lines!: LineCounter;

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  private document(): Document {
    if (!this.doc) {
      const yaml = positionalYaml();
      this.lines = new yaml.LineCounter();
      this.doc = yaml.parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: false, strict: false });
    }
    return this.doc;
  }

  /** The offset of the node at `path` (or of its key), falling back to the nearest ancestor that exists. */
  offset(path: Path, atKey = false): number {
    const { isMap, isPair, isScalar, isSeq } = positionalYaml();
    let node: unknown = this.document().contents;
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const key = pair.key as Node;
        if (last && atKey) return key.range?.[0] ?? offset;
        node = pair.value;
        offset = (node as Node | null)?.range?.[0] ?? key.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        node = item;
        offset = (node as Node | null)?.range?.[0] ?? offset;
      } else break;
    }
    return offset;
  }

  locate(finding: Finding): Diagnostic {
    this.document();
    const pos = this.lines.linePos(finding.offset ?? this.offset(finding.path, finding.atKey));
    return {
      code: finding.code,
      message: finding.message,
      path: formatPath(finding.path),
      file: this.file,
      line: pos.line,
      column: pos.col,
      ...(finding.hint ? { hint: finding.hint } : {}),
    };
  }
}

/** The value at `path` in plain data, or undefined. */
export function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** A short, safe rendering of an input value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
