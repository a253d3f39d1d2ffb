// DRS affinity rules (spec/compute.md §7): VM-VM affinity and anti-affinity, VM-Host must and
// should rules. When two rules conflict the older one (earlier in the lab file) wins and the newer
// one is disabled. DRS, HA and DPM never violate a must rule; should rules yield when they must.

export interface DrsRule {
  name: string;
  type: 'vm-host-must' | 'vm-host-should' | 'vm-affinity' | 'vm-anti-affinity';
  vms: string[];
  hosts: string[];
  /** set when an older rule conflicts with this one: why it is disabled */
  disabledBy?: string;
}

/** The rules in force: conflicting newer rules are out. */
export function enabledRules<R extends DrsRule>(rules: readonly R[]): R[] {
  return rules.filter((r) => r.disabledBy === undefined);
}

/**
 * Mark the rules that conflict with an older one (§7: the older wins, the newer is disabled):
 * VM-Host rules keeping a VM on disjoint host sets, a VM-VM affinity and an anti-affinity rule
 * sharing two VMs.
 */
export function resolveConflicts<R extends DrsRule>(rules: readonly R[]): R[] {
  const out: R[] = [];
  for (const r of rules) {
    const older = out.find((o) => o.disabledBy === undefined && conflict(o, r));
    out.push(older ? { ...r, disabledBy: older.name } : r);
  }
  return out;
}

function conflict(a: DrsRule, b: DrsRule): boolean {
  const shared = a.vms.filter((v) => b.vms.includes(v));
  if (a.type.startsWith('vm-host') && b.type.startsWith('vm-host')) return shared.length > 0 && !a.hosts.some((h) => b.hosts.includes(h));
  const pair = new Set([a.type, b.type]);
  return pair.has('vm-affinity') && pair.has('vm-anti-affinity') && shared.length >= 2;
}

export interface RuleCheck {
  /** where each other VM runs (or is placed), if anywhere */
  placementOf: (vm: string) => string | undefined;
  /** honour should rules too (balancing and placement do; evacuation and failover may break them) */
  honourShould: boolean;
  /** honour VM-VM rules (DRS does; HA restarts only honour must rules) */
  vmVm: boolean;
  /** with vmVm, honour affinity too (default); placement only prefers it */
  affinity?: boolean;
}

/** The rule that keeps `vm` off `host`, as a sentence, or undefined (rules must be enabled ones). */
export function ruleRefusal(rules: readonly DrsRule[], vm: string, host: string, opts: RuleCheck): string | undefined {
  for (const r of rules) {
    if (!r.vms.includes(vm)) continue;
    if ((r.type === 'vm-host-must' || (opts.honourShould && r.type === 'vm-host-should')) && !r.hosts.includes(host)) {
      return `rule ${r.name} (${r.type}) keeps ${vm} on ${r.hosts.join(', ')}`;
    }
    if (!opts.vmVm) continue;
    const others = r.vms.filter((o) => o !== vm);
    const where = others.map((o) => opts.placementOf(o));
    if (r.type === 'vm-anti-affinity' && where.includes(host)) return `rule ${r.name} (vm-anti-affinity) keeps ${vm} apart from ${others.join(', ')}`;
    if (r.type === 'vm-affinity' && opts.affinity !== false && where.some((o) => o !== undefined && o !== host)) return `rule ${r.name} (vm-affinity) keeps ${vm} with ${others.join(', ')}`;
  }
  return undefined;
}
