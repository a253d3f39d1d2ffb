// Persistent state: one SQLite database per state directory (better-sqlite3, WAL). Every
// operation runs in one transaction, so a process killed at any moment leaves the state as it
// was before or after the operation, never between. One writer: the process holding the
// connection (a server, later, owns it for everyone).
import type Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const SCHEMA_VERSION = 1;

export interface LabRow {
  name: string;
  file: string;
  /** the validated lab file as JSON: what `up` last applied */
  spec: string;
  /** virtual time, ms */
  nowMs: number;
  nextEvent: number;
  nextTask: number;
}

export interface ObjectRow {
  id: string;
  kind: string;
  name: string;
  parent: string | null;
  /** canonical JSON of the object's configuration */
  config: string;
  /** JSON of the object's runtime state (power, where it runs, …) */
  runtime: string;
}

export interface EventRow {
  seq: number;
  timeMs: number;
  type: string;
  object: string | null;
  task: number | null;
  message: string;
  data: string | null;
}

export interface TaskRow {
  seq: number;
  kind: string;
  target: string;
  state: 'queued' | 'running' | 'success' | 'error';
  queuedMs: number;
  startedMs: number | null;
  completedMs: number | null;
  result: string | null;
  error: string | null;
}

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labs (
  name TEXT PRIMARY KEY, file TEXT NOT NULL, spec TEXT NOT NULL,
  now_ms INTEGER NOT NULL DEFAULT 0, next_event INTEGER NOT NULL DEFAULT 1, next_task INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS objects (
  lab TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, parent TEXT,
  config TEXT NOT NULL, runtime TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (lab, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_by_name ON objects (lab, name);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (lab, parent);
CREATE TABLE IF NOT EXISTS events (
  lab TEXT NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, type TEXT NOT NULL,
  object TEXT, task INTEGER, message TEXT NOT NULL, data TEXT,
  PRIMARY KEY (lab, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lab_state (lab TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (lab, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tasks (
  lab TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL,
  queued_ms INTEGER NOT NULL, started_ms INTEGER, completed_ms INTEGER, result TEXT, error TEXT,
  PRIMARY KEY (lab, seq)
) WITHOUT ROWID;
`;

export class StateError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

let sqlite: { SQLite: typeof Database; nativeBinding?: string } | undefined;

/**
 * Load SQLite before `new Store()` (the CLI does; otherwise the constructor requires the package):
 * bundled, better-sqlite3's JavaScript costs nothing to find and little to compile, where its dozen
 * CommonJS files cost ~7 ms at every start-up. Its native addon is then named explicitly
 * (`nativeBinding`, as the package asks of bundlers); where it is not in the usual place, the
 * package is required as it is and finds it itself.
 */
export async function loadSqlite(): Promise<void> {
  if (sqlite) return;
  let nativeBinding: string;
  try {
    nativeBinding = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return;
  }
  sqlite = { SQLite: (await import('./sqlite.js')).default, nativeBinding };
}

/** Does `dir` hold a nestlab state? (Commands that only read must not create one.) */
export function stateExists(dir: string): boolean {
  return existsSync(join(dir, 'state.db'));
}

export class Store {
  readonly db: Database.Database;
  private readonly stmts;

  constructor(readonly dir: string) {
    // Loaded on first use: commands that never open a state (validate, schema) skip the native addon.
    sqlite ??= { SQLite: createRequire(import.meta.url)('better-sqlite3') as typeof Database };
    const { SQLite, nativeBinding } = sqlite;
    try {
      mkdirSync(dir, { recursive: true });
      this.db = new SQLite(join(dir, 'state.db'), nativeBinding === undefined ? {} : { nativeBinding });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(DDL);
    } catch (err) {
      const e = err as { code?: string; message: string };
      if (e.code === 'SQLITE_NOTADB' || e.code === 'SQLITE_CORRUPT') {
        throw new StateError('state-corrupt', `${join(dir, 'state.db')} is not a nestlab state database (${e.message})`, 'move it away, or use another --state directory');
      }
      throw new StateError('state-unusable', `cannot open the state in ${dir}: ${e.message}`, 'point --state (or NESTLAB_STATE) at a writable directory');
    }
    const version = (this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined)?.value;
    if (version === undefined) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', String(SCHEMA_VERSION));
    else if (Number(version) > SCHEMA_VERSION) {
      throw new StateError('state-too-new', `the state in ${dir} was written by a newer nestlab (schema ${version})`, 'upgrade nestlab, or use another --state directory');
    }
    const db = this.db;
    this.stmts = {
      labs: db.prepare('SELECT name, file, spec, now_ms AS nowMs, next_event AS nextEvent, next_task AS nextTask FROM labs ORDER BY name'),
      lab: db.prepare('SELECT name, file, spec, now_ms AS nowMs, next_event AS nextEvent, next_task AS nextTask FROM labs WHERE name = ?'),
      putLab: db.prepare(`INSERT INTO labs (name, file, spec, now_ms, next_event, next_task) VALUES (@name, @file, @spec, @nowMs, @nextEvent, @nextTask)
        ON CONFLICT (name) DO UPDATE SET file = @file, spec = @spec, now_ms = @nowMs, next_event = @nextEvent, next_task = @nextTask`),
      deleteLab: db.prepare('DELETE FROM labs WHERE name = ?'),
      objects: db.prepare('SELECT id, kind, name, parent, config, runtime FROM objects WHERE lab = ?'),
      objectsOfKind: db.prepare('SELECT id, kind, name, parent, config, runtime FROM objects WHERE lab = ? AND kind = ?'),
      object: db.prepare('SELECT id, kind, name, parent, config, runtime FROM objects WHERE lab = ? AND id = ?'),
      objectsByName: db.prepare('SELECT id, kind, name, parent, config, runtime FROM objects WHERE lab = ? AND name = ?'),
      children: db.prepare('SELECT id, kind, name, parent, config, runtime FROM objects WHERE lab = ? AND parent = ?'),
      insertObject: db.prepare('INSERT INTO objects (lab, id, kind, name, parent, config, runtime) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      updateConfig: db.prepare('UPDATE objects SET kind = ?, name = ?, parent = ?, config = ? WHERE lab = ? AND id = ?'),
      updateRuntime: db.prepare('UPDATE objects SET runtime = ? WHERE lab = ? AND id = ?'),
      deleteObject: db.prepare('DELETE FROM objects WHERE lab = ? AND id = ?'),
      deleteObjects: db.prepare('DELETE FROM objects WHERE lab = ?'),
      insertEvent: db.prepare('INSERT INTO events (lab, seq, time_ms, type, object, task, message, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      events: db.prepare('SELECT seq, time_ms AS timeMs, type, object, task, message, data FROM events WHERE lab = ? AND seq > ? ORDER BY seq LIMIT ?'),
      deleteEvents: db.prepare('DELETE FROM events WHERE lab = ?'),
      putTask: db.prepare(`INSERT INTO tasks (lab, seq, kind, target, state, queued_ms, started_ms, completed_ms, result, error)
        VALUES (@lab, @seq, @kind, @target, @state, @queuedMs, @startedMs, @completedMs, @result, @error)
        ON CONFLICT (lab, seq) DO UPDATE SET state = @state, started_ms = @startedMs, completed_ms = @completedMs, result = @result, error = @error`),
      tasks: db.prepare('SELECT seq, kind, target, state, queued_ms AS queuedMs, started_ms AS startedMs, completed_ms AS completedMs, result, error FROM tasks WHERE lab = ? AND seq > ? ORDER BY seq LIMIT ?'),
      deleteTasks: db.prepare('DELETE FROM tasks WHERE lab = ?'),
      labState: db.prepare('SELECT value FROM lab_state WHERE lab = ? AND key = ?'),
      putLabState: db.prepare('INSERT INTO lab_state (lab, key, value) VALUES (?, ?, ?) ON CONFLICT (lab, key) DO UPDATE SET value = excluded.value'),
      deleteLabState: db.prepare('DELETE FROM lab_state WHERE lab = ?'),
    };
  }

  close(): void {
    this.db.close();
  }

  /** Run `fn` as one transaction: all of it is committed, or none of it. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  labs(): LabRow[] {
    return this.stmts.labs.all() as LabRow[];
  }

  lab(name: string): LabRow | undefined {
    return this.stmts.lab.get(name) as LabRow | undefined;
  }

  putLab(row: LabRow): void {
    this.stmts.putLab.run(row);
  }

  deleteLab(name: string): void {
    this.stmts.deleteObjects.run(name);
    this.stmts.deleteEvents.run(name);
    this.stmts.deleteTasks.run(name);
    this.stmts.deleteLabState.run(name);
    this.stmts.deleteLab.run(name);
  }

  objects(lab: string, kind?: string): ObjectRow[] {
    return (kind === undefined ? this.stmts.objects.all(lab) : this.stmts.objectsOfKind.all(lab, kind)) as ObjectRow[];
  }

  object(lab: string, id: string): ObjectRow | undefined {
    return this.stmts.object.get(lab, id) as ObjectRow | undefined;
  }

  objectsNamed(lab: string, name: string): ObjectRow[] {
    return this.stmts.objectsByName.all(lab, name) as ObjectRow[];
  }

  children(lab: string, parent: string): ObjectRow[] {
    return this.stmts.children.all(lab, parent) as ObjectRow[];
  }

  insertObject(lab: string, o: ObjectRow): void {
    this.stmts.insertObject.run(lab, o.id, o.kind, o.name, o.parent, o.config, o.runtime);
  }

  updateConfig(lab: string, o: Omit<ObjectRow, 'runtime'>): void {
    this.stmts.updateConfig.run(o.kind, o.name, o.parent, o.config, lab, o.id);
  }

  updateRuntime(lab: string, id: string, runtime: string): void {
    this.stmts.updateRuntime.run(runtime, lab, id);
  }

  deleteObject(lab: string, id: string): void {
    this.stmts.deleteObject.run(lab, id);
  }

  insertEvent(lab: string, e: EventRow): void {
    this.stmts.insertEvent.run(lab, e.seq, e.timeMs, e.type, e.object, e.task, e.message, e.data);
  }

  events(lab: string, after = 0, limit = 1_000_000): EventRow[] {
    return this.stmts.events.all(lab, after, limit) as EventRow[];
  }

  /**
   * A lab's remembered state beyond its objects, as JSON by key: `net` (MAC tables, ARP caches,
   * counters…), `compute` (active-memory estimates, reclaimed memory…).
   */
  labState(lab: string, key: string): string | undefined {
    return (this.stmts.labState.get(lab, key) as { value: string } | undefined)?.value;
  }

  putLabState(lab: string, key: string, value: string): void {
    this.stmts.putLabState.run(lab, key, value);
  }

  putTask(lab: string, t: TaskRow): void {
    this.stmts.putTask.run({ lab, ...t });
  }

  tasks(lab: string, after = 0, limit = 1_000_000): TaskRow[] {
    return this.stmts.tasks.all(lab, after, limit) as TaskRow[];
  }
}
