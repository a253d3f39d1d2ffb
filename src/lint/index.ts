// Lint: warnings (never errors) about labs that resolve fine but will not behave as intended —
// the pitfalls of the seed documents (nested hypervisors behind default switch policies, VLAN
// trunks, vhv.enable, memory, EVC, clusters without vCenter or shared storage, ...). Each rule
// has a stable kebab-case id, which is the `code` of its findings; paths point into the lab file.
import type { Finding } from '../spec/diagnostics.js';
import type { Inventory } from '../model/inventory.js';
import {
  clusterMixedCpuWithoutEvc, clusterNoSharedDatastore, clusterWithoutVcenter, drsNetworkNotOnAllHosts, drsRuleConflict, evcModeUnsupported,
  hardwareVersionUnsupported, hostCpuLacksNestedSupport, hostMemoryOvercommitted, maclearnFrequentMoves, nestedEsxiMinCpus,
  nestedEsxiMinMemory, nestedHardwareVersion, nestedHvNotExposed,
} from './compute-rules.js';
import {
  beaconWithVgt, duplicateMac, guestVlanTagDropped, ipHashWithoutPortChannel, loadBasedNeedsVds, macLearningNeedsVds66, nestedNeedsForgedTransmits, nestedNeedsPromiscuous,
  nestedVlanNeedsTrunk, promiscuousDuplicateFrames, vcenterOnStaticDvPortgroup, vdsWithoutVcenter,
} from './network-rules.js';
import { ovsAccessPortTagged, ovsAgingClamped } from './ovs-rules.js';
import { learnswitchNeedsPromiscuous, pvlanIdAsVlan, pvlanUplinkMissingVlans } from './pvlan-rules.js';
import { esxiPortNotPortfast } from './stp-rules.js';
import { lacpChannelWithoutLag, lagNotOnLacpChannel, lagOnNestedHost, lagTeamingMigration, lagWithoutUplinks } from './lacp-rules.js';
import { igmpSnoopingWithoutQuerier, multicastGroupsShareMac } from './igmp-rules.js';
import type { LintRule } from './util.js';

export type { LintRule } from './util.js';

/** Every rule, in the order findings are reported. */
export const LINT_RULES: readonly LintRule[] = Object.freeze([
  nestedNeedsPromiscuous,
  nestedNeedsForgedTransmits,
  nestedVlanNeedsTrunk,
  nestedHvNotExposed,
  nestedHardwareVersion,
  nestedEsxiMinMemory,
  nestedEsxiMinCpus,
  hostCpuLacksNestedSupport,
  hostMemoryOvercommitted,
  clusterMixedCpuWithoutEvc,
  evcModeUnsupported,
  vdsWithoutVcenter,
  promiscuousDuplicateFrames,
  clusterNoSharedDatastore,
  maclearnFrequentMoves,
  clusterWithoutVcenter,
  vcenterOnStaticDvPortgroup,
  macLearningNeedsVds66,
  duplicateMac,
  guestVlanTagDropped,
  beaconWithVgt,
  hardwareVersionUnsupported,
  drsNetworkNotOnAllHosts,
  drsRuleConflict,
  ipHashWithoutPortChannel,
  pvlanIdAsVlan,
  pvlanUplinkMissingVlans,
  learnswitchNeedsPromiscuous,
  ovsAgingClamped,
  ovsAccessPortTagged,
  loadBasedNeedsVds,
  esxiPortNotPortfast,
  multicastGroupsShareMac,
  igmpSnoopingWithoutQuerier,
  lagTeamingMigration,
  lagNotOnLacpChannel,
  lacpChannelWithoutLag,
  lagOnNestedHost,
  lagWithoutUplinks,
]);

/** All rules' findings: by rule order, then inventory order within a rule. Deterministic. */
export function lint(inv: Inventory): Finding[] {
  return LINT_RULES.flatMap((rule) => rule.check(inv));
}
