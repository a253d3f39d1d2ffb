// Why a frame was dropped: stable reason codes, each tied to the spec rule behind it
// (spec/network.md). Counters are indexed by these codes; traces print code and rule.

export const DROP_REASONS = [
  ['unknown-unicast-dst', 'R1.8'],
  ['forged-transmit', 'R2.5'],
  ['mac-change-rejected', 'R2.6'],
  ['vlan-mismatch', 'R3.3'],
  ['tagged-on-vst', 'R3.5'],
  ['split-horizon', 'R1.10'],
  ['reverse-path', 'R1.11'],
  ['duplicate-suppressed', 'R1.12'],
  ['mac-limit', 'R4c.6'],
  ['link-down', 'R5.9'],
  ['no-active-uplink', 'R1.13'],
  ['port-disconnected', 'R1.17'],
  ['tagged-on-access', 'R9.5'],
  ['vlan-not-allowed', 'R9.6'],
  ['same-port', 'R9.4'],
  ['not-for-me', 'R1.8'],
  ['no-route', 'R1.3'],
  ['ttl-exceeded', 'R8.4'],
  ['malformed', 'R0'],
  // Open vSwitch bonds (R8.5): multicast/broadcast on a member other than the active one, any
  // frame on an active-backup bond's backup member (ofproto/bond.c bond_check_admissibility) …
  ['bond-inactive-member', 'R8.5'],
  // … and on a balance-slb bond, a frame whose source the bridge learned on another port: its own
  // flood coming back through the upstream switch (OVS commit c93b1d6a, bonding.rst "SLB bonding" 2).
  ['bond-reflection', 'R8.5'],
  // Private VLANs (R3.11): a unicast between an isolated port and anything but a promiscuous one …
  ['pvlan-isolated', 'R3.11'],
  // … or between two different communities of one primary.
  ['pvlan-community', 'R3.11'],
  // The Learnswitch fling (R4b.1): a unicast whose destination MAC is learned on another port (or,
  // with unknownUnicast: drop, learned nowhere) is not passed to the uplink or a Learnswitch port.
  ['learnswitch-filtered', 'R4b.1'],
  // Spanning tree (R9.9): a port that is blocking or listening takes in and sends out nothing …
  ['stp-blocking', 'R9.9'],
  // … one that is learning learns the source, and forwards nothing yet …
  ['stp-learning', 'R9.9'],
  // … and a BPDU on a bpduguard port err-disables it (the BPDU itself goes no further).
  ['bpdu-guard', 'R9.9'],
  // Net.BlockGuestBPDU (R1.14): a BPDU from a VM is dropped at its vSwitch port.
  ['guest-bpdu-blocked', 'R1.14'],
  // LACP (R6.5): a vDS LAG member that LACP has not bundled takes in and sends nothing (802.1AX:
  // not collecting), and a LAG with no bundled member carries nothing …
  ['lacp-not-bundled', 'R6.5'],
  // … and a physical switch's LACP channel member that could not bundle is suspended (Catalyst
  // `port-channel standalone-disable`, the default: "(s)").
  ['lacp-suspended', 'R6.5'],
  // IGMP snooping (R9.3, igmp.ts): group traffic whose group has members only behind the port it
  // came in on (and no multicast-router port elsewhere) …
  ['no-group-member', 'R9.3'],
  // … and what snooping sends to multicast routers only — reports, leaves, (Linux) traffic to a
  // group nobody joined — with no multicast-router port to go to.
  ['no-mrouter-port', 'R9.3'],
] as const;

export type DropReason = (typeof DROP_REASONS)[number][0];

export const REASON_INDEX: Readonly<Record<DropReason, number>> = Object.fromEntries(DROP_REASONS.map(([r], i) => [r, i])) as Record<DropReason, number>;
export const REASON_RULE: Readonly<Record<DropReason, string>> = Object.fromEntries(DROP_REASONS) as Record<DropReason, string>;

/** Counter slots of a port: rx, tx, then one drop counter per reason. */
export const RX = 0;
export const TX = 1;
export const DROP_BASE = 2;
export const COUNTER_SLOTS = DROP_BASE + DROP_REASONS.length;
