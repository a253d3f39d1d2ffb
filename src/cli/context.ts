// What every command gets: where the state lives, which lab, how to print, how to set the exit code.
import { selectLab } from '../engine/engine.js';
import { loadSqlite, stateExists, Store, type LabRow } from '../store/store.js';
import { CliError, EXIT, type Output } from './output.js';

export interface Context {
  out: Output;
  stateDir: string;
  lab?: string;
  /** raise the process exit code (the highest wins) */
  setExit(code: number): void;
}

/** Open the state for writing, creating it if needed. */
export async function openStore(ctx: Context): Promise<Store> {
  await loadSqlite();
  return new Store(ctx.stateDir);
}

/** Open an existing state and pick the lab; commands that only read never create a state. */
export async function openLab(ctx: Context): Promise<{ store: Store; lab: LabRow }> {
  if (!stateExists(ctx.stateDir)) {
    throw new CliError('no-lab', `no nestlab state in ${ctx.stateDir}`, EXIT.invalid, {}, 'create a lab with `nestlab up FILE`, or point --state at an existing state directory');
  }
  const store = await openStore(ctx);
  return { store, lab: selectLab(store, ctx.lab) };
}

/** Run `fn` on the selected lab of an existing state, closing the state afterwards. */
export async function withLab<T>(ctx: Context, fn: (o: { store: Store; lab: LabRow }) => T): Promise<T> {
  const opened = await openLab(ctx);
  try {
    return fn(opened);
  } finally {
    opened.store.close();
  }
}
