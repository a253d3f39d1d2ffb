// The engine of one lab: a virtual clock, the event log, tasks, and the runtime state of the
// lab's objects, all read from and written to the store inside the caller's transaction.
// Nothing here reads the wall clock or unseeded randomness: the same lab file and commands
// give the same events, ids and outputs.
import type { LabRow, ObjectRow, Store, TaskRow } from '../store/store.js';

/** Progress of long work, shown on stderr by the CLI; the engine only reports. */
export interface Progress {
  start(label: string, total: number): void;
  tick(done: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };

export interface TaskOutcome<T> {
  task: number;
  ok: boolean;
  value?: T;
  error?: OperationError;
}

/** A refused operation: a stable code, a message for people, and details for machines. */
export class OperationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** One operation on a lab in one transaction: its changes are saved, or none if `fn` throws. */
export function operate<T>(store: Store, lab: LabRow, fn: (engine: Engine) => T): T {
  return store.transaction(() => {
    const engine = new Engine(store, lab);
    const result = fn(engine);
    engine.save();
    return result;
  });
}

/** A look at a lab in one transaction, saving nothing. */
export function inspect<T>(store: Store, lab: LabRow, fn: (engine: Engine) => T): T {
  return store.transaction(() => fn(new Engine(store, lab)));
}

/** The lab a command works on: the one named, or the only one in the state. */
export function selectLab(store: Store, name?: string): LabRow {
  if (name !== undefined) {
    const lab = store.lab(name);
    if (!lab) throw new OperationError('unknown-lab', `no lab named "${name}" in ${store.dir}`, { lab: name, labs: store.labs().map((l) => l.name) });
    return lab;
  }
  const labs = store.labs();
  if (labs.length === 1) return labs[0]!;
  if (labs.length === 0) throw new OperationError('no-lab', `no lab in ${store.dir}; create one with \`nestlab up FILE\``);
  throw new OperationError('ambiguous-lab', `${labs.length} labs in ${store.dir}: ${labs.map((l) => l.name).join(', ')}; name one with --lab`, { labs: labs.map((l) => l.name) });
}

export type Runtime = Record<string, unknown>;

export class Engine {
  private readonly rows = new Map<string, ObjectRow>();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly dirty = new Set<string>();
  /** rows created in this operation, written once at save() with their final runtime */
  private readonly created = new Set<string>();
  private readonly caches = new Map<string, unknown>();
  private readonly recentConfigs = new Map<string, unknown>();
  private loaded = false;

  constructor(
    readonly store: Store,
    readonly lab: LabRow,
    readonly progress: Progress = silentProgress,
  ) {}

  // ---- clock ---------------------------------------------------------------------------

  /** Virtual time in milliseconds since the lab was created. */
  get nowMs(): number {
    return this.lab.nowMs;
  }

  advance(ms: number): void {
    this.lab.nowMs += Math.round(ms);
  }

  // ---- events and tasks ------------------------------------------------------------------

  event(type: string, object: string | null, message: string, data?: Record<string, unknown>, task: number | null = null): number {
    const seq = this.lab.nextEvent++;
    this.store.insertEvent(this.lab.name, {
      seq, timeMs: this.lab.nowMs, type, object, task, message, data: data === undefined ? null : JSON.stringify(data),
    });
    return seq;
  }

  /** Run `fn` as a task: queued → running → success | error, recorded with its result. */
  task<T>(kind: string, target: string, fn: (task: number) => T): TaskOutcome<T> {
    const seq = this.lab.nextTask++;
    const row: TaskRow = { seq, kind, target, state: 'running', queuedMs: this.nowMs, startedMs: this.nowMs, completedMs: null, result: null, error: null };
    try {
      const value = fn(seq);
      this.store.putTask(this.lab.name, { ...row, state: 'success', completedMs: this.nowMs, result: value === undefined ? null : JSON.stringify(value) });
      return { task: seq, ok: true, value };
    } catch (err) {
      if (!(err instanceof OperationError)) throw err;
      this.store.putTask(this.lab.name, { ...row, state: 'error', completedMs: this.nowMs, error: JSON.stringify(err.toJSON()) });
      return { task: seq, ok: false, error: err };
    }
  }

  // ---- objects and their runtime state ----------------------------------------------------

  private load(): void {
    if (this.loaded) return;
    for (const r of this.store.objects(this.lab.name)) this.rows.set(r.id, r);
    this.loaded = true;
  }

  row(id: string): ObjectRow | undefined {
    this.load();
    return this.rows.get(id);
  }

  allRows(): IterableIterator<ObjectRow> {
    this.load();
    return this.rows.values();
  }

  /** A view derived from the rows, built once per operation (callers keep it in step). */
  cache<T>(key: string, build: () => T): T {
    if (!this.caches.has(key)) this.caches.set(key, build());
    return this.caches.get(key) as T;
  }

  /** Forget derived views after configurations changed. */
  invalidate(): void {
    this.caches.clear();
  }

  /** A new object: visible at once, written to the store at save() with its final runtime. */
  create(row: ObjectRow): void {
    this.load();
    this.rows.set(row.id, row);
    this.created.add(row.id);
  }

  /** A changed configuration, written now. */
  reconfigure(row: Omit<ObjectRow, 'runtime'>): void {
    this.load();
    this.store.updateConfig(this.lab.name, row);
    this.caches.clear();
    this.recentConfigs.delete(row.id);
    const old = this.rows.get(row.id);
    this.rows.set(row.id, { ...row, runtime: old?.runtime ?? '{}' });
  }

  remove(id: string): void {
    this.store.deleteObject(this.lab.name, id);
    this.recentConfigs.delete(id);
    this.rows.delete(id);
    this.runtimes.delete(id);
    this.dirty.delete(id);
    this.created.delete(id);
  }

  runtime<T extends Runtime = Runtime>(id: string): T {
    let rt = this.runtimes.get(id);
    if (!rt) {
      rt = JSON.parse(this.row(id)?.runtime ?? '{}') as Runtime;
      this.runtimes.set(id, rt);
    }
    return rt as T;
  }

  setRuntime(id: string, patch: Runtime): void {
    Object.assign(this.runtime(id), patch);
    this.dirty.add(id);
    if (id.startsWith('host:')) this.hostChanges++;
  }

  /** Counts host runtime changes in this operation, so views derived from host states know when to rebuild. */
  hostChanges = 0;

  /**
   * The object's configuration. A power-on asks for the same VM and host from several checks, so
   * the last few are kept parsed; the cache stays small (a configuration-maxima `up` would
   * otherwise hold 40,000 parsed VMs). Callers must not modify what they get.
   */
  config<T = Record<string, unknown>>(id: string): T {
    let c = this.recentConfigs.get(id);
    if (c === undefined) {
      if (this.recentConfigs.size >= 64) this.recentConfigs.clear();
      c = JSON.parse(this.row(id)?.config ?? '{}');
      this.recentConfigs.set(id, c);
    }
    return c as T;
  }

  /** Write new objects, runtime changes and the lab's counters back to the store. */
  save(): void {
    for (const id of this.created) {
      const row = this.rows.get(id)!;
      if (this.dirty.has(id)) row.runtime = JSON.stringify(this.runtimes.get(id));
      this.store.insertObject(this.lab.name, row);
      this.dirty.delete(id);
    }
    this.created.clear();
    for (const id of this.dirty) {
      const json = JSON.stringify(this.runtimes.get(id));
      this.store.updateRuntime(this.lab.name, id, json);
      const row = this.rows.get(id);
      if (row) row.runtime = json;
    }
    this.dirty.clear();
    this.store.putLab(this.lab);
  }
}
