// How the CLI talks to people and programs: with --json exactly one JSON document on stdout;
// otherwise readable text, colours only on a terminal and never with NO_COLOR. Progress and
// logs go to stderr. Exit codes are the contract of spec/cli.md.
import type { SingleBar } from 'cli-progress';
import { createRequire } from 'node:module';
import { createColors } from 'picocolors';
import type { Diagnostic } from '../spec/diagnostics.js';
import type { Progress } from '../engine/engine.js';

export const EXIT = { ok: 0, invalid: 1, usage: 2, failed: 3, internal: 4 } as const;

/** An error the CLI reports with a stable code and exit status. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exit: number = EXIT.invalid,
    readonly details: Record<string, unknown> = {},
    readonly hint?: string,
  ) {
    super(message);
  }
}

function colorsFor(stream: NodeJS.WriteStream) {
  const env = process.env;
  const enabled = !('NO_COLOR' in env && env.NO_COLOR !== '') && (Boolean(env.FORCE_COLOR) || (stream.isTTY === true && env.TERM !== 'dumb'));
  return createColors(enabled);
}

export const out = colorsFor(process.stdout);
export const err = colorsFor(process.stderr);

export class Output {
  constructor(readonly json: boolean) {}

  /** Print the command's result: the JSON document, or the human rendering. */
  result(value: unknown, human: () => string): void {
    if (this.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = human();
      if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  error(e: CliError): void {
    if (this.json) {
      process.stdout.write(`${JSON.stringify({ code: e.code, message: e.message, ...e.details, ...(e.hint ? { hint: e.hint } : {}) }, null, 2)}\n`);
      return;
    }
    process.stderr.write(`${err.red(err.bold('error'))}${err.dim(`[${e.code}]`)}: ${e.message}\n`);
    if (e.hint) process.stderr.write(`  ${err.cyan('hint')}: ${e.hint}\n`);
  }

  /** Progress bars on an interactive stderr only; silent in pipes, CI and --json runs. */
  progress(): Progress {
    if (!process.stderr.isTTY) return { start() {}, tick() {}, stop() {} };
    let bar: SingleBar | undefined;
    return {
      start(label, total) {
        if (total < 2000) return;
        const { SingleBar: Bar } = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
        bar = new Bar({ format: `  ${label} [{bar}] {value}/{total}`, stream: process.stderr, hideCursor: true, clearOnComplete: true }, undefined);
        bar.start(total, 0);
      },
      tick(done) {
        bar?.update(done);
      },
      stop() {
        bar?.stop();
        bar = undefined;
      },
    };
  }
}

/** Columns aligned by their widest cell; headers dimmed. */
export function table(headers: string[], rows: Array<Array<string | number | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c)))).join('  ').trimEnd();
  return [out.dim(line(headers.map((h) => h.toUpperCase()))), ...cells.map(line)].join('\n');
}

function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** `file:line:col: error[code]: message`, the source line with a caret, and the hint. */
export function formatDiagnostic(d: Diagnostic, severity: 'error' | 'warning', source?: string): string {
  const c = err;
  const label = severity === 'error' ? c.red(c.bold('error')) : c.yellow(c.bold('warning'));
  const lines = [`${c.bold(`${d.file}:${d.line}:${d.column}`)}: ${label}${c.dim(`[${d.code}]`)}: ${d.message}`];
  const text = source?.split('\n')[d.line - 1];
  if (text !== undefined && text.length < 300) {
    const gutter = String(d.line);
    lines.push(`${c.dim(`${gutter} |`)} ${text}`);
    lines.push(`${' '.repeat(gutter.length)} ${c.dim('|')} ${' '.repeat(Math.max(0, d.column - 1))}${severity === 'error' ? c.red('^') : c.yellow('^')}`);
  }
  if (d.hint) lines.push(`  ${c.cyan('hint')}: ${d.hint}`);
  return lines.join('\n');
}
