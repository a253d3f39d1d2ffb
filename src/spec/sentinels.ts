// Values the lab-file schema produces for the resolver to recognise. Zod-free: the engine loads the
// resolver for every lab command, and must not pay for building the schema (src/cli/lazy.ts).

/**
 * `vlan: { pvlan: N }` on a standard vSwitch: private VLANs are vDS-only (R3.11). The schema
 * accepts it so the resolver can refuse it with its own code (pvlan-needs-vds); it reads as this.
 */
export const PVLAN_ON_STANDARD_SWITCH = -1;
