// Test helpers: build an inventory from lab text, and run the CLI as a user would.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadLabText, type LoadedLab } from '../src/plan/load.js';

export const ROOT = join(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'nestlab.js');

export function load(text: string, file = 'lab.yaml'): LoadedLab {
  return loadLabText(file, text);
}

/** Load and demand success: the inventory and warnings. */
export function loadOk(text: string): Extract<LoadedLab, { ok: true }> {
  const r = load(text);
  if (!r.ok) throw new Error(`expected a valid lab, got: ${JSON.stringify(r.errors, null, 2)}`);
  return r;
}

export function tempDir(prefix = 'nestlab-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown> & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Run the built CLI (`npm run build` first; `npm test` does). */
export function nestlab(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  return run([BIN, ...args], opts);
}

/** The CLI from source, for tests of features the built one in dist/ may predate. */
export function nestlabSrc(args: string[]): Run {
  return run(['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));", ...args]);
}

function run(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, argv, {
    cwd: opts.cwd ?? ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...opts.env }, maxBuffer: 1 << 28,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  };
}

const execFileAsync = promisify(execFile);

/**
 * CLI commands from source one after the other in one Node process (one start-up for them all):
 * each command's exit code and stdout.
 */
export async function nestlabSrcSession(commands: string[][]): Promise<Array<{ code: number; stdout: string }>> {
  const script = `
    const { main } = await import('./src/cli/main.ts');
    const write = process.stdout.write.bind(process.stdout);
    const results = [];
    for (const args of JSON.parse(process.env.NESTLAB_COMMANDS)) {
      let stdout = '';
      process.stdout.write = (chunk) => { stdout += chunk; return true; };
      try { results.push({ code: await main(args), stdout }); } finally { process.stdout.write = write; }
    }
    write(JSON.stringify(results));`;
  const r = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, NO_COLOR: '1', NESTLAB_COMMANDS: JSON.stringify(commands) },
  });
  return JSON.parse(r.stdout) as Array<{ code: number; stdout: string }>;
}

/** A small valid lab used across tests: one ESXi host, a nested ESXi with a VM inside. */
export const SMALL_LAB = `lab: small
network:
  switches:
    - name: core
      ports:
        p1: { mode: trunk }
        p9: { mode: access, vlan: 100 }
  stations:
    - { name: laptop, nics: [{ ip: 10.0.100.5/24, connect: core/p9 }] }
datastores:
  - { name: nas, type: nfs, capacity: 2TB, hosts: [esx1, nested-esx] }
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, connect: core/p1 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        security: { promiscuous: accept }
        portgroups:
          - { name: Management, vmkernel: [{ name: vmk0, ip: 10.0.0.10/24, services: [management] }] }
          - { name: VM Network }
          - { name: Trunk, vlan: 4095 }
vms:
  - name: nested-esx
    host: esx1
    cpus: 2
    memory: 8GB
    hardwareVersion: 13
    exposeHardwareVirtualization: true
    nics: [{ network: Trunk }]
    nested:
      version: '8.0'
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups:
            - { name: Management, vmkernel: [{ name: vmk0, ip: 10.0.0.20/24 }] }
            - { name: VLAN100, vlan: 100 }
  - { name: web, host: nested-esx, cpus: 1, memory: 1GB, nics: [{ network: VLAN100, ip: 10.0.100.20/24 }] }
  - { name: db, host: esx1, cpus: 2, memory: 4GB, power: off, nics: [{ network: VM Network }] }
`;
