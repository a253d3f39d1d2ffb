// DRS (spec/compute.md §7): host loads as entitlement over capacity, the load-imbalance metric
// (population standard deviation of host loads) and its priority, mandatory (priority 1) moves
// for hosts in maintenance and broken rules, and greedy balancing moves while the imbalance's
// priority is within the migration threshold. Must rules are never violated; should rules are
// honoured by balancing; VM-VM affinity and anti-affinity too (rules.ts).
import { ruleRefusal, type DrsRule, type RuleCheck } from './rules.js';

export type { DrsRule } from './rules.js';

export interface DrsHost {
  name: string;
  cpuMHz: number;
  memoryMB: number;
  /** entering or in maintenance mode: its VMs must leave (priority 1) */
  maintenance: boolean;
}

export interface DrsVm {
  name: string;
  host: string;
  cpuMHz: number;
  memoryMB: number;
  /** reservation + overhead this VM needs unreserved on a target (admission control) */
  reserveMemoryMB: number;
  reserveCpuMHz: number;
  /** a per-VM override (§7): disabled keeps DRS away from the VM; absent: the cluster's level */
  automation?: DrsAutomation;
}

export type DrsAutomation = 'manual' | 'partially-automated' | 'fully-automated' | 'disabled';

export interface Recommendation {
  vm: string;
  from: string;
  to: string;
  priority: number;
  reason: string;
}

export interface DrsResult {
  imbalance: number;
  priority: number;
  /** the target host load standard deviation at this threshold */
  target: number;
  recommendations: Recommendation[];
  /** VMs that must move but cannot (a must rule, no capacity): maintenance mode waits on them */
  stuck: Array<{ vm: string; reason: string }>;
}

export interface DrsInput {
  hosts: DrsHost[];
  vms: DrsVm[];
  rules: DrsRule[];
  threshold: number;
  /** can this VM run on that host at all (datastores, networks, CPU compatibility)? */
  compatible: (vm: string, host: string) => boolean;
  /** reservations already held on each host, to check a move against admission control */
  reserved: (host: string) => { memoryMB: number; cpuMHz: number };
  /** unreserved capacity of a host for VMs */
  capacity: (host: string) => { memoryMB: number; cpuMHz: number };
  /** at most this many balancing moves per pass */
  maxMoves?: number;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Population standard deviation of host loads, the larger of CPU and memory (KB 1007485). */
export function imbalance(hosts: readonly DrsHost[], placement: ReadonlyMap<string, string>, vms: readonly DrsVm[]): number {
  const sums = new Map(hosts.map((h) => [h.name, { cpu: 0, mem: 0 }]));
  for (const v of vms) {
    const t = sums.get(placement.get(v.name) ?? v.host);
    if (t) { t.cpu += v.cpuMHz; t.mem += v.memoryMB; }
  }
  return imbalanceOfSums(hosts.filter((h) => !h.maintenance), sums);
}

/** The same metric from per-host sums (what a pass keeps while it tries moves). */
function imbalanceOfSums(live: readonly DrsHost[], sums: ReadonlyMap<string, { cpu: number; mem: number }>): number {
  if (live.length < 2) return 0;
  const sd = (f: (h: DrsHost) => number) => {
    let sum = 0;
    for (const h of live) sum += f(h);
    const mean = sum / live.length;
    let sq = 0;
    for (const h of live) sq += (f(h) - mean) ** 2;
    return Math.sqrt(sq / live.length);
  };
  return Math.max(sd((h) => sums.get(h.name)!.cpu / h.cpuMHz), sd((h) => sums.get(h.name)!.mem / h.memoryMB));
}

/** priority = 6 − ceil(imbalance · √N / 0.1), clamped to 2–5 for balancing moves (§7 [I]). */
export function priorityOf(lim: number, hostCount: number): number {
  if (lim <= 0) return 5;
  return Math.min(5, Math.max(2, 6 - Math.ceil((lim * Math.sqrt(hostCount)) / 0.1 - 1e-9)));
}

export function drsPass(input: DrsInput): DrsResult {
  const placement = new Map(input.vms.map((v) => [v.name, v.host]));
  const hosts = new Map(input.hosts.map((h) => [h.name, h]));
  const live = input.hosts.filter((h) => !h.maintenance);
  const n = live.length;
  const extra = new Map<string, { memoryMB: number; cpuMHz: number }>();
  const recommendations: Recommendation[] = [];
  const stuck: DrsResult['stuck'] = [];

  const fits = (vm: DrsVm, host: string) => {
    const held = input.reserved(host);
    const more = extra.get(host) ?? { memoryMB: 0, cpuMHz: 0 };
    const cap = input.capacity(host);
    return held.memoryMB + more.memoryMB + vm.reserveMemoryMB <= cap.memoryMB + 1e-9 && held.cpuMHz + more.cpuMHz + vm.reserveCpuMHz <= cap.cpuMHz + 1e-9;
  };
  const allowed = (vm: DrsVm, host: string, honourShould: boolean): string | undefined => {
    if (hosts.get(host)?.maintenance) return `${host} is in maintenance mode`;
    if (!input.compatible(vm.name, host)) return `${vm.name} cannot run on ${host} (storage, network or CPU)`;
    const rule = ruleRefusal(input.rules, vm.name, host, { placementOf: (o) => placement.get(o), honourShould, vmVm: true });
    if (rule) return rule;
    if (!fits(vm, host)) return `${host} has not enough unreserved capacity for ${vm.name}`;
    return undefined;
  };
  const move = (vm: DrsVm, to: string, priority: number, reason: string) => {
    const from = placement.get(vm.name)!;
    recommendations.push({ vm: vm.name, from, to, priority, reason });
    placement.set(vm.name, to);
    shift(vm, from, to);
    const e = extra.get(to) ?? { memoryMB: 0, cpuMHz: 0 };
    extra.set(to, { memoryMB: e.memoryMB + vm.reserveMemoryMB, cpuMHz: e.cpuMHz + vm.reserveCpuMHz });
  };
  // Per-host sums of entitlements, kept in step with every (tentative) move: O(hosts) per evaluation.
  const sums = new Map(input.hosts.map((h) => [h.name, { cpu: 0, mem: 0 }]));
  for (const v of input.vms) { const t = sums.get(v.host); if (t) { t.cpu += v.cpuMHz; t.mem += v.memoryMB; } }
  const shift = (vm: DrsVm, from: string, to: string) => {
    const a = sums.get(from)!;
    const b = sums.get(to)!;
    a.cpu -= vm.cpuMHz; a.mem -= vm.memoryMB;
    b.cpu += vm.cpuMHz; b.mem += vm.memoryMB;
  };
  const loadOf = (host: string) => {
    const h = hosts.get(host)!;
    const t = sums.get(host)!;
    return Math.max(t.cpu / h.cpuMHz, t.mem / h.memoryMB);
  };
  const currentImbalance = () => imbalanceOfSums(live, sums);

  // Priority 1: VMs on hosts in maintenance, and VMs breaking a must rule, must move (§7).
  for (const vm of input.vms) {
    const here = hosts.get(vm.host);
    const mustRule = input.rules.find((r) => r.type === 'vm-host-must' && r.vms.includes(vm.name) && !r.hosts.includes(vm.host));
    if (!here?.maintenance && !mustRule) continue;
    if (vm.automation === 'disabled') {
      stuck.push({ vm: vm.name, reason: `DRS is disabled for ${vm.name} (a per-VM override): move it by hand (§7)` });
      continue;
    }
    if (here?.maintenance && input.rules.some((r) => r.type === 'vm-host-must' && r.vms.includes(vm.name) && r.hosts.includes(vm.host) && r.hosts.every((h) => h === vm.host || hosts.get(h)?.maintenance))) {
      stuck.push({ vm: vm.name, reason: `a must rule keeps ${vm.name} on ${vm.host}: DRS never violates a must rule (§7)` });
      continue;
    }
    const targets = live.map((h) => h.name).filter((h) => h !== vm.host).sort((a, b) => loadOf(a) - loadOf(b) || (a < b ? -1 : 1));
    const to = targets.find((h) => allowed(vm, h, false) === undefined);
    if (to === undefined) stuck.push({ vm: vm.name, reason: targets.length ? allowed(vm, targets[0]!, false)! : 'no other host is available' });
    else move(vm, to, 1, here?.maintenance ? `${vm.host} is entering maintenance mode` : `rule ${mustRule!.name} requires ${mustRule!.hosts.join(', ')}`);
  }

  // Balancing: while the imbalance's priority is within the threshold, take the best single move.
  const limit = input.maxMoves ?? 8;
  let lim = currentImbalance();
  for (let k = 0; k < limit && n >= 2; k++) {
    const p = priorityOf(lim, n);
    if (p > input.threshold) break;
    let best: { vm: DrsVm; to: string; after: number } | undefined;
    const ordered = [...live].sort((a, b) => loadOf(b.name) - loadOf(a.name));
    const source = ordered[0]!.name;
    for (const vm of input.vms) {
      if (placement.get(vm.name) !== source || vm.automation === 'disabled') continue;
      for (const h of ordered.slice(1).reverse()) {
        if (allowed(vm, h.name, true) !== undefined) continue;
        shift(vm, source, h.name);
        const after = currentImbalance();
        shift(vm, h.name, source);
        if (after < lim - 1e-9 && (!best || after < best.after - 1e-12)) best = { vm, to: h.name, after };
      }
    }
    if (!best) break;
    move(best.vm, best.to, p, `load balancing: host load standard deviation ${r4(lim)} → ${r4(best.after)}`);
    lim = best.after;
  }
  const current = imbalance(input.hosts, new Map(), input.vms);
  return {
    imbalance: r4(current),
    priority: priorityOf(current, n),
    target: n >= 2 ? r4(((5 - input.threshold) * 0.1) / Math.sqrt(n)) : 0,
    recommendations,
    stuck,
  };
}

// ---- initial placement (§7: partially and fully automated clusters place VMs at power-on) --------

export interface PlacementCandidate {
  name: string;
  /** the host's load (the larger of CPU and memory, as a fraction) once the VM runs there */
  loadAfter: number;
}

export interface PlacementOrder {
  /** hosts to try, best first: rule-preferred ones (should rules, affinity), then by load, then name */
  order: string[];
  /** hosts no placement may use: a must rule or a VM-VM rule keeps the VM off them */
  refused: Record<string, string>;
}

/** Rank the hosts of a cluster for a VM that powers on; the engine then tries them in order. */
export function placementOrder(hosts: readonly PlacementCandidate[], rules: readonly DrsRule[], vm: string, placementOf: RuleCheck['placementOf']): PlacementOrder {
  const refused: Record<string, string> = {};
  const mine = rules.filter((r) => r.vms.includes(vm));
  const ranked: Array<{ name: string; loadAfter: number; preferred: boolean }> = [];
  for (const h of hosts) {
    // Must rules and anti-affinity are never broken; should rules and affinity only make a host preferred.
    const hard = mine.length ? ruleRefusal(mine, vm, h.name, { placementOf, honourShould: false, vmVm: true, affinity: false }) : undefined;
    if (hard) { refused[h.name] = hard; continue; }
    const preferred = !mine.length || ruleRefusal(mine, vm, h.name, { placementOf, honourShould: true, vmVm: true }) === undefined;
    ranked.push({ name: h.name, loadAfter: h.loadAfter, preferred });
  }
  ranked.sort((a, b) => Number(b.preferred) - Number(a.preferred) || a.loadAfter - b.loadAfter || (a.name < b.name ? -1 : 1));
  return { order: ranked.map((h) => h.name), refused };
}
