// vSphere 8 configuration maximums (spec/compute.md §10), checked when a lab is resolved.

export const MAXIMA = {
  hostsPerCluster: 96,
  vmsPerCluster: 10_000,
  vmsPerHost: 1024,
  hostsPerVcenter: 2500,
  registeredVmsPerVcenter: 45_000,
} as const;

/** vCPUs per VM by virtual hardware version (§10). */
export function maxVcpus(hardwareVersion: number): number {
  if (hardwareVersion >= 18) return 768;
  if (hardwareVersion >= 15) return 256;
  if (hardwareVersion >= 11) return 128;
  if (hardwareVersion >= 9) return 64;
  if (hardwareVersion === 8) return 32;
  if (hardwareVersion === 7) return 8;
  return 4;
}
