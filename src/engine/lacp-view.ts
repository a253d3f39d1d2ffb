// LACP as `nestlab show` shows it (R6.5): each LAG of a vDS on each member host, each LACP
// channel of a physical switch — members, their state (bundled, negotiating, individual,
// suspended, down), the partner system and why a member is not bundled. A read of the network as
// it stands (views.ts builds it from the stored lab, its saved state restored, only for an object
// with LACP), negotiations that ended since caught up — that changes nothing and saves nothing.
import type { LabRow, ObjectRow, Store } from '../store/store.js';
import type { LacpView } from '../net/lacp.js';
import type { Network } from '../net/topology.js';

/** The lab's network as it stands (network.ts storedNetwork), built on the first call: undefined when the lab does not resolve. */
export type StoredNet = () => Network | undefined;

/** The LACP aggregators of each device (`dvswitch:dvs@esx1`, `pswitch:psw`) that has any; undefined when the lab does not resolve. */
function lacpViews(stored: StoredNet, lab: LabRow, deviceIds: readonly string[]): Map<string, LacpView[]> | undefined {
  const net = stored();
  if (net === undefined) return undefined;
  const lacp = net.lacp;
  if (lacp === undefined) return new Map();
  lacp.start(); // catch up on negotiations that ended since (nothing runs, nothing is saved)
  const out = new Map<string, LacpView[]>();
  for (const id of deviceIds) {
    const views = lacp.describe(id, lab.nowMs);
    if (views.length) out.set(id, views);
  }
  return out;
}

const parse = (s: string) => JSON.parse(s) as Record<string, unknown>;

/** `show` of a physical switch with LACP channels: the channels, and each member port's LACP state. */
export function switchLacp(stored: StoredNet, lab: LabRow, row: ObjectRow, ports: readonly ObjectRow[]): { channels: LacpView[]; byPort: Map<string, LacpView['members'][number]> } | undefined {
  if (!ports.some((p) => parse(p.config).channelMode !== undefined)) return undefined;
  const views = lacpViews(stored, lab, [row.id])?.get(row.id);
  if (views === undefined) return undefined;
  const byPort = new Map<string, LacpView['members'][number]>();
  for (const c of views) for (const m of c.members) byPort.set(`switchport:${m.interface}`, m);
  return { channels: views, byPort };
}

/** `show` of a vDS with LAGs: each running member host's LAGs. */
export function dvsLacp(stored: StoredNet, lab: LabRow, row: ObjectRow): Record<string, LacpView[]> | undefined {
  const config = parse(row.config);
  if (!Array.isArray(config.lags) || config.lags.length === 0) return undefined;
  const hosts = (config.members as Array<{ host: string }>).map((m) => m.host);
  const views = lacpViews(stored, lab, hosts.map((h) => `${row.id}@${h}`));
  if (views === undefined) return undefined;
  return Object.fromEntries(hosts.flatMap((h) => {
    const v = views.get(`${row.id}@${h}`);
    return v ? [[h, v] as const] : [];
  }));
}

/** `show` of a host: the LAGs of the distributed switches it is a member of. */
export function hostLacp(stored: StoredNet, store: Store, lab: LabRow, host: string): Array<{ dvswitch: string; lags: LacpView[] }> | undefined {
  const withLags = store.objects(lab.name, 'dvswitch').filter((d) => {
    const c = parse(d.config);
    return Array.isArray(c.lags) && c.lags.length > 0 && (c.members as Array<{ host: string }>).some((m) => m.host === host);
  });
  if (withLags.length === 0) return undefined;
  const views = lacpViews(stored, lab, withLags.map((d) => `${d.id}@${host}`));
  if (views === undefined) return undefined;
  const out = withLags.flatMap((d) => {
    const v = views.get(`${d.id}@${host}`);
    return v ? [{ dvswitch: d.name, lags: v }] : [];
  });
  return out.length ? out : undefined;
}
