// vMotion: `nestlab migrate VM HOST` (spec/compute.md §6, spec/cli.md). Every requirement of §6 is
// a check with its own error code, in this order: vCenter (issue 5 item 1), power state, the
// target host, shared storage, CPU compatibility (§5), networks by exact name (§6, §11.29),
// VMkernel ports with the vmotion service that really reach each other (a trace between them on
// the simulated network), nested virtualization on the target (§4), admission control (§1.4).
// Then the pre-copy model (src/cluster/vmotion.ts) gives iterations, downtime and duration;
// virtual time advances by it, the VM moves (runtime host, ledger), and the destination host
// sends RARP for the VM's MACs so physical switches re-learn (R5.10, R9.7).
import { hasSdps, MIN_VMOTION_LINK_MBIT, precopy, vmotionBandwidthMBps, type Iteration } from '../cluster/vmotion.js';
import { vmDemand } from '../compute/admission.js';
import type { Host, VmkernelPort } from '../model/inventory.js';
import { macToNumber, macToString, parseCidr, rarpFrame } from '../net/codec/index.js';
import { learnedBehind } from '../net/learnswitch-state.js';
import { endpoint, trace } from '../net/probe.js';
import type { Network } from '../net/topology.js';
import type { VmLock } from '../storage/locks.js';
import type { LabRow, Store } from '../store/store.js';
import { hostFacts, ledger, vmConfig } from './compute.js';
import { OperationError, type TaskOutcome } from './engine.js';
import { withNetwork, type Session } from './network.js';
import { placementRefusal } from './placement.js';
import { findVm, hostRefusal, type VmRuntime } from './power.js';
import { requireVcenter } from './vcenter.js';

export interface MigrateResult {
  name: string;
  from: string;
  to: string;
  iterations: Iteration[];
  stunMs: number;
  downtimeMs: number;
  totalSeconds: number;
  memoryMB: number;
  bandwidthMBps: number;
  dirtyRateMBps: number;
  sdps: { dirtyRateMBps: number; cpuProgress: number } | null;
  vmotion: { from: string; to: string; linkMbps: number };
  warnings: Array<{ code: string; message: string }>;
  rarp: { macs: string[]; frames: number };
}

/** RARPs the destination sends per MAC, 100 ms apart (as on a teaming move, R5.10). */
const RARPS_PER_MAC = 5;

/** vMotion of `vm` to `host`: a task; on success the RARP announcement follows on the new host. */
export function migrate(store: Store, lab: LabRow, vm: string, host: string): TaskOutcome<MigrateResult> {
  return store.transaction(() => {
    const outcome = withNetwork(store, lab, (s) => s.engine.task('migrate', `vm:${vm}`, () => vmotion(s, vm, host)));
    if (!outcome.ok) return outcome;
    const rarp = withNetwork(store, lab, (s) => announce(s, vm, host));
    return { ...outcome, value: { ...outcome.value!, rarp } };
  });
}

function vmotion(s: Session, vm: string, target: string): MigrateResult {
  const { engine, inventory: inv, net } = s;
  const id = findVm(engine, vm);
  requireVcenter(engine, `vMotion of ${vm}`);
  const rt = engine.runtime<VmRuntime>(id);
  if (rt.power !== 'on') throw new OperationError('invalid-power-state', `VM ${vm} is powered ${rt.power}: vMotion moves running VMs (compute.md §6)`, { name: vm, state: rt.power });
  const from = rt.host;
  const src = inv.hosts.get(from);
  const dst = inv.hosts.get(target);
  if (!dst || !engine.row(`host:${target}`)) throw new OperationError('unknown-object', `no host named "${target}" in lab ${engine.lab.name}`, { host: target });
  if (!src) throw new OperationError('state-inconsistent', `VM ${vm} runs on ${from}, which the lab no longer has`);
  if (from === target) throw new OperationError('same-host', `${vm} already runs on ${target}`, { name: vm, host: target });
  for (const h of [src, dst]) {
    if (h.hypervisor !== 'esxi') throw new OperationError('unsupported-host', `${h.name} runs ${h.hypervisor}; vMotion is between ESXi hosts`, { host: h.name });
  }
  // Shared storage, networks by exact name, CPU features, nested virtualization, admission control,
  // HA's failover hosts (placement.ts).
  const refusal = hostRefusal(engine, vm, target) ?? placementRefusal(engine, vm, target, 'vmotion');
  if (refusal) throw refusal;
  const vmInv = inv.vms.get(vm)!;
  const config = vmConfig(engine, vm);

  // §6: a vMotion VMkernel port on each host, and they must reach each other.
  const vFrom = vmotionVmknic(src);
  const vTo = vmotionVmknic(dst);
  for (const [h, k] of [[src, vFrom], [dst, vTo]] as const) {
    if (!k) throw new OperationError('vmotion-network', `${h.name} has no VMkernel port with the vmotion service (compute.md §6)`, { host: h.name });
    if (!k.ip) throw new OperationError('vmotion-network', `${h.name}/${k.name} (vmotion) has no IP address`, { host: h.name, vmknic: k.name });
  }
  reachable(net, `${from}/${vFrom!.name}`, `${target}/${vTo!.name}`, vTo!.ip!);
  engine.advance(Math.max(0, Math.ceil(net.fabric.now) - engine.nowMs));

  // §6 model: bandwidth from the slower vMotion link, dirty rate from the workload.
  const linkMbps = Math.min(linkSpeed(src, vFrom!), linkSpeed(dst, vTo!));
  const bandwidthMBps = vmotionBandwidthMBps(linkMbps);
  const dirtyRateMBps = vmInv.workload.dirtyRateMBps;
  const model = precopy({ memoryMB: config.memoryMB, bandwidthMBps, dirtyRateMBps, sdps: hasSdps(src.version) && hasSdps(dst.version) });
  if (!model.converged) {
    throw new OperationError('migration-not-converging', `${vm} dirties ${dirtyRateMBps} MB/s, at least the ${Math.round(bandwidthMBps)} MB/s vMotion sends, and ESXi ${src.version} has no SDPS: pre-copy gave up after ${model.iterations.length - 1} iterations (compute.md §6, §11.27)`, { name: vm, dirtyRateMBps, bandwidthMBps });
  }
  const warnings: MigrateResult['warnings'] = [];
  if (linkMbps < MIN_VMOTION_LINK_MBIT) {
    warnings.push({ code: 'VMotionLinkCapacityLow', message: `the vMotion link is ${linkMbps} Mb/s; vMotion is supported on links of at least 1000 Mbps full duplex (compute.md §6, §11.29)` });
  }
  engine.event('vm.migrating', id, `vMotion of ${vm} from ${from} to ${target} started`, { from, to: target });
  engine.advance(model.totalSeconds * 1000);
  const l = ledger(engine);
  l.remove(vmDemand(config, from, hostFacts(engine, from).cluster));
  l.add(vmDemand(config, target, hostFacts(engine, target).cluster));
  engine.setRuntime(id, { host: target });
  // §9: the destination takes over the VM's VMFS locks at switchover (src/engine/locks.ts keeps them in `lock`).
  const lock = engine.runtime<VmRuntime & { lock?: VmLock }>(id).lock;
  if (lock) engine.setRuntime(id, { lock: { ...lock, host: target, sinceMs: engine.nowMs } satisfies VmLock });
  engine.event('vm.migrated', id, `${vm} migrated from ${from} to ${target} in ${model.totalSeconds} s (downtime ${model.downtimeMs} ms)`, {
    from, to: target, iterations: model.iterations.length, downtimeMs: model.downtimeMs, totalSeconds: model.totalSeconds,
  });
  for (const w of warnings) engine.event('vm.migration-warning', id, w.message, { code: w.code });
  return {
    name: vm, from, to: target, iterations: model.iterations, stunMs: model.stunMs, downtimeMs: model.downtimeMs, totalSeconds: model.totalSeconds,
    memoryMB: config.memoryMB, bandwidthMBps: Math.round(bandwidthMBps * 100) / 100, dirtyRateMBps, sdps: model.sdps,
    vmotion: { from: `${from}/${vFrom!.name}`, to: `${target}/${vTo!.name}`, linkMbps }, warnings, rarp: { macs: [], frames: 0 },
  };
}

function vmotionVmknic(h: Host): VmkernelPort | undefined {
  for (const s of h.vswitches) for (const p of s.portgroups) for (const k of p.vmkernel) if (k.services.includes('vmotion')) return k;
  return undefined;
}

/** The speed of the uplink the vmknic's port group uses first (active, else any). */
function linkSpeed(h: Host, k: VmkernelPort): number {
  const sw = h.vswitches.find((s) => s.portgroups.some((p) => p.vmkernel.includes(k)))!;
  const pg = sw.portgroups.find((p) => p.vmkernel.includes(k))!;
  const name = pg.teaming.active.find((n) => sw.uplinks.includes(n)) ?? sw.uplinks[0];
  return h.nics.find((n) => n.name === name)?.speed ?? 10_000;
}

/** A trace between the vMotion vmknics; the error names where and why it failed. */
function reachable(net: Network, from: string, to: string, ip: string): void {
  let ep;
  try {
    ep = endpoint(net, from);
    endpoint(net, to);
  } catch (e) {
    throw new OperationError('vmotion-network', `the vMotion VMkernel ports are not up: ${(e as Error).message}`, { from, to });
  }
  const r = trace(net, ep, parseCidr(ip)!.ip);
  if (r.delivered) return;
  const dropped = r.frames.find((f) => f.outcome === 'dropped' && f.drop);
  const where = dropped?.drop ? `${dropped.kind} dropped at ${dropped.drop.device} port ${dropped.drop.port}: ${dropped.drop.reason} (${dropped.drop.rule})` : 'no reply';
  throw new OperationError('vmotion-network', `the vMotion VMkernel ports ${from} and ${to} cannot reach each other: ${where} (compute.md §6)`, {
    from, to, ...(dropped?.drop ? { drop: dropped.drop, frame: dropped.kind } : {}),
  });
}

/**
 * §6 process step 5, R5.10, R9.7: the destination host announces the VM's MACs with RARP
 * broadcasts (src = the MAC, EtherType 0x8035) from the VM's port on its new switch, so physical
 * switches move their entries at once.
 */
function announce(s: Session, vm: string, host: string): { macs: string[]; frames: number } {
  const { engine, inventory: inv, net } = s;
  const f = net.fabric;
  const t0 = f.now;
  const macs: string[] = [];
  let frames = 0;
  const bySuffix = new Map<string, string>();
  for (const id of net.ports.keys()) {
    const i = id.lastIndexOf('[');
    if (i > 0 && id.endsWith(']')) bySuffix.set(id.slice(i + 1, -1), id);
  }
  for (const nic of inv.vms.get(vm)?.nics ?? []) {
    const sp = net.ports.get(bySuffix.get(nic.id) ?? '');
    const vmSide = sp?.peer;
    if (!vmSide) continue;
    const frame = rarpFrame(macToNumber(nic.mac));
    macs.push(nic.mac);
    for (let i = 0; i < RARPS_PER_MAC; i++) {
      frames++;
      f.schedule(t0 + i * 100, () => f.transmit(vmSide, frame, nic.vlan ?? 0, f.now));
    }
    // R4b.1: the Learnswitch's table came along with the vNIC ("learned MAC table is sent to
    // destination host", learnswitch-state.ts) and "RARP packet is sent" for each of its MACs.
    const learned = nic.learnswitch ? learnedBehind(net, nic.id, t0) : [];
    for (const e of learned) {
      const rarp = rarpFrame(e.mac);
      const vid = e.port.policy.vlan.kind === 'trunk' || e.port.policy.vlan.kind === 'all' ? e.vlan : 0; // as the nested host tags it
      macs.push(macToString(e.mac));
      for (let i = 0; i < RARPS_PER_MAC; i++) {
        frames++;
        f.schedule(t0 + i * 100, () => f.transmit(vmSide, rarp, vid, f.now));
      }
    }
    if (learned.length) {
      engine.event('learnswitch.table-moved', nic.id, `${host} took over the Learnswitch entries of ${vm} NIC ${nic.index}: ${learned.length} MAC${learned.length === 1 ? '' : 's'} learned behind it, announced with RARP (R4b.1)`, { host, macs: learned.map((e) => macToString(e.mac)) });
    }
  }
  f.runUntil(t0 + RARPS_PER_MAC * 100);
  if (macs.length) engine.event('vm.rarp-sent', `vm:${vm}`, `${host} sent RARP for ${macs.join(', ')} (${frames} frames) after vMotion of ${vm}`, { host, macs, frames });
  return { macs, frames };
}
