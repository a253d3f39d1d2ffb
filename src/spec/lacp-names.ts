// LACP vocabulary shared by the lab-file schema, the inventory and the data plane (lag.ts).
// Zod-free: the resolver and the network load it without the schema.

/**
 * vSphere's LAG load-balancing modes (VMwareDvsLacpLoadBalanceAlgorithm, vSphere API 5.5); the
 * vSphere Client's default is srcDestIpTcpUdpPortVlan ("Source and destination IP address, TCP/UDP
 * port and VLAN"; ansible community.vmware vmware_dvswitch_lacp docs).
 */
export const LAG_ALGORITHMS = [
  'srcDestIpTcpUdpPortVlan', 'srcIpTcpUdpPortVlan', 'destIpTcpUdpPortVlan', 'srcDestIpTcpUdpPort', 'srcIpTcpUdpPort', 'destIpTcpUdpPort',
  'srcDestIpVlan', 'srcIpVlan', 'destIpVlan', 'srcDestIp', 'srcIp', 'destIp', 'srcDestTcpUdpPort', 'srcTcpUdpPort', 'destTcpUdpPort',
  'srcDestMac', 'srcMac', 'destMac', 'vlan', 'srcPortId',
] as const;
export type LagAlgorithm = (typeof LAG_ALGORITHMS)[number];
export const DEFAULT_LAG_ALGORITHM: LagAlgorithm = 'srcDestIpTcpUdpPortVlan';
