// Deterministic MAC addresses. The same lab and names give the same MACs; an object that already
// exists in the state keeps the MAC it was given (as vCenter keeps a VM's MAC), so adding
// objects never renumbers others.
//
// Ranges follow what VMware hands out: VM vNICs 00:50:56:80–BF (vCenter-assigned), VMkernel
// ports 00:50:56:60–7F (ESXi-generated, R1.16); physical NICs of hosts and stations get the
// Intel OUI 00:1B:21, as a physical server's onboard NICs would.

export type MacRange = 'vnic' | 'vmknic' | 'physical';

const PREFIX: Record<MacRange, { oui: number[]; fourthBase: number; fourthSpan: number }> = {
  vnic: { oui: [0x00, 0x50, 0x56], fourthBase: 0x80, fourthSpan: 0x40 },
  vmknic: { oui: [0x00, 0x50, 0x56], fourthBase: 0x60, fourthSpan: 0x20 },
  physical: { oui: [0x00, 0x1b, 0x21], fourthBase: 0x00, fourthSpan: 0x100 },
};

/** 32-bit FNV-1a. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const hex = (n: number) => n.toString(16).padStart(2, '0');

export function normalizeMac(mac: string): string {
  return mac.toLowerCase();
}

export class MacAllocator {
  private readonly used = new Set<string>();

  constructor(
    private readonly lab: string,
    /** MACs already given to objects in the state, by object id */
    private readonly existing: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** Reserve a MAC the user set explicitly (duplicates are the lint's concern, not an error here). */
  reserve(mac: string): string {
    const m = normalizeMac(mac);
    this.used.add(m);
    return m;
  }

  /** The MAC of `objectId`: the one it already has, else a fresh deterministic one. */
  assign(objectId: string, range: MacRange): string {
    const kept = this.existing.get(objectId);
    if (kept && !this.used.has(kept)) return this.reserve(kept);
    const p = PREFIX[range];
    for (let attempt = 0; ; attempt++) {
      const h = fnv1a(`${this.lab}\u0000${objectId}\u0000${attempt}`);
      const fourth = p.fourthBase + ((h >>> 16) % p.fourthSpan);
      const mac = [...p.oui.map(hex), hex(fourth), hex((h >>> 8) & 0xff), hex(h & 0xff)].join(':');
      if (!this.used.has(mac)) return this.reserve(mac);
    }
  }
}
