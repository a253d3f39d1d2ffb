// What `ls` lists, by kind: here, apart from views.ts, so the CLI can describe and check `ls`
// without loading the views (and the engine and data plane behind them).
export const LIST_KINDS = {
  hosts: ['host'],
  vms: ['vm'],
  switches: ['vswitch', 'bridge', 'dvswitch', 'pswitch'],
  portgroups: ['portgroup', 'dvportgroup'],
  datastores: ['datastore'],
  clusters: ['cluster'],
  stations: ['station'],
} as const;
export type ListKind = keyof typeof LIST_KINDS;
