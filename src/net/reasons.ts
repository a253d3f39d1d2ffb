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
] as const;

export type DropReason = (typeof DROP_REASONS)[number][0];

export const REASON_INDEX: Readonly<Record<DropReason, number>> = Object.fromEntries(DROP_REASONS.map(([r], i) => [r, i])) as Record<DropReason, number>;
export const REASON_RULE: Readonly<Record<DropReason, string>> = Object.fromEntries(DROP_REASONS) as Record<DropReason, string>;

/** Counter slots of a port: rx, tx, then one drop counter per reason. */
export const RX = 0;
export const TX = 1;
export const DROP_BASE = 2;
export const COUNTER_SLOTS = DROP_BASE + DROP_REASONS.length;
