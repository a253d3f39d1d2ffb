// Reading a lab file end to end: YAML → schema → resolved inventory → lint warnings, with every
// finding located at its file, line and column.
import { readFileSync, statSync } from 'node:fs';
import { SourceLocator, type Diagnostic, type Warning } from '../spec/diagnostics.js';
import { parseLabText } from '../spec/parse.js';
import type { LabSpec } from '../spec/schema.js';
import { resolveLab, type ResolveContext } from '../model/resolve.js';
import type { Inventory } from '../model/inventory.js';
import { lint } from '../lint/index.js';
import { OperationError } from '../engine/engine.js';

export type LoadedLab =
  | { ok: true; file: string; spec: LabSpec; inventory: Inventory; warnings: Warning[] }
  | { ok: false; file: string; errors: Diagnostic[]; warnings: Warning[] };

/** Lab files above this size are refused before parsing (a configuration-maxima lab is ~10 MB). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

export function readLabFile(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new OperationError('file-not-found', `cannot read ${file}: no such file`, { file });
  }
  if (size > MAX_FILE_BYTES) throw new OperationError('file-too-large', `${file} is ${size} bytes; lab files are limited to ${MAX_FILE_BYTES}`, { file });
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new OperationError('file-unreadable', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
}

export function loadLabText(file: string, text: string, ctx: ResolveContext = {}): LoadedLab {
  const locator = new SourceLocator(file, text);
  const parsed = parseLabText(text);
  if (!parsed.ok) return { ok: false, file, errors: parsed.errors.map((f) => locator.locate(f)), warnings: [] };
  const { inventory, errors } = resolveLab(parsed.spec, ctx);
  if (errors.length) return { ok: false, file, errors: errors.map((f) => locator.locate(f)), warnings: [] };
  const warnings = lint(inventory).map((f): Warning => ({ ...locator.locate(f), rule: f.code }));
  return { ok: true, file, spec: parsed.spec, inventory, warnings };
}

export function loadLabFile(file: string, ctx: ResolveContext = {}): LoadedLab {
  return loadLabText(file, readLabFile(file), ctx);
}
