// Lint rules (src/lint): every rule fires on a lab with the pitfall and stays quiet once the lab
// is corrected. Labs are small YAML texts → parseLabText → resolveLab (no errors) → lint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabText } from '../src/spec/parse.js';
import { resolveLab } from '../src/model/resolve.js';
import type { Inventory } from '../src/model/inventory.js';
import type { Finding, Path } from '../src/spec/diagnostics.js';
import { LINT_RULES, lint } from '../src/lint/index.js';
import { overheadMB as vmOverheadMB } from '../src/compute/overhead.js';

function inventoryOf(text: string): Inventory {
  const parsed = parseLabText(text);
  assert.ok(parsed.ok, `parse: ${JSON.stringify(parsed.ok ? [] : parsed.errors)}`);
  const { inventory, errors } = resolveLab(parsed.spec);
  assert.deepEqual(errors, [], 'the lab resolves without errors');
  return inventory;
}

function findings(text: string, rule: string): Finding[] {
  return lint(inventoryOf(text)).filter((f) => f.code === rule);
}

/** Exactly one finding of `rule`, at `path`; returns it. */
function fires(text: string, rule: string, path: Path): Finding {
  const found = findings(text, rule);
  assert.equal(found.length, 1, `${rule} fires once: ${JSON.stringify(found, null, 1)}`);
  const f = found[0]!;
  assert.equal(f.code, rule);
  assert.deepEqual(f.path, path);
  assert.ok(f.message.length > 40 && f.hint && f.hint.length > 10, 'a message and a hint for people');
  return f;
}

function quiet(text: string, rule: string): void {
  assert.deepEqual(findings(text, rule), [], `${rule} does not fire`);
}

// ---- a nested ESXi host on one physical ESXi host ------------------------------------------------

interface NestedOpts {
  outerSecurity: string;
  outerVlan: number;
  innerVlan: number;
  vcenter: string;
  /** extra lines for the nested VM's only NIC, e.g. ', macLearn: true' */
  nicExtra: string;
  /** the nested VM's MAC line (the 1:1 mapping) */
  guestMac: string;
  innerVmkernel: string;
  exposeHv: boolean;
  hardwareVersion: number;
  memory: string;
  cpus: number;
  version: string;
  hostCpu: string;
}

function nestedLab(o: Partial<NestedOpts> = {}): string {
  const x: NestedOpts = {
    outerSecurity: '{ promiscuous: accept, forgedTransmits: accept }', outerVlan: 4095, innerVlan: 0, vcenter: 'external',
    nicExtra: '', guestMac: '', innerVmkernel: '[{ name: vmk0, ip: 10.0.0.21/24, services: [management] }]',
    exposeHv: true, hardwareVersion: 13, memory: '8GB', cpus: 2, version: '8.0', hostCpu: 'xeon-e3-1230-v3', ...o,
  };
  return `
lab: nested
vcenter: ${x.vcenter}
hosts:
  - name: esx-outer
    cpu: ${x.hostCpu}
    memory: 64GB
    nics: [{ name: vmnic0 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups:
          - name: Nested Trunk
            vlan: ${x.outerVlan}
            security: ${x.outerSecurity}
vms:
  - name: nesx
    host: esx-outer
    cpus: ${x.cpus}
    memory: ${x.memory}
    hardwareVersion: ${x.hardwareVersion}
    exposeHardwareVirtualization: ${x.exposeHv}
    nics: [{ network: Nested Trunk${x.nicExtra} }]
    nested:
      hypervisor: esxi
      version: '${x.version}'
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups:
            - name: Management Network
              vmkernel: ${x.innerVmkernel}
            - name: VM Network
              vlan: ${x.innerVlan}
  - name: guest
    host: nesx
    cpus: 1
    memory: 1GB
    nics: [{ network: VM Network${x.guestMac} }]
`;
}

const OUTER_NIC: Path = ['vms', 0, 'nics', 0, 'network'];

// network.md §7.2 (promiscuous + forged accept, VLAN 4095 trunk), compute.md §4 (vhv.enable, HW ≥ 9, 2 vCPU, 8 GB for 8.0)
test('the corrected nested lab is clean: no rule fires', () => {
  assert.deepEqual(lint(inventoryOf(nestedLab())), []);
});

// R1.8, R2.3, network.md §7.1, §7.2, test scenario 31; seed 001 ("allow the Promiscuous mode on the vSwitch or on the port groups")
test('nested-needs-promiscuous: nested VM behind a default vSS port group', () => {
  const f = fires(nestedLab({ outerSecurity: '{}' }), 'nested-needs-promiscuous', OUTER_NIC);
  assert.match(f.message, /guest/);
  assert.match(f.message, /port group "Nested Trunk" on esx-outer/);
  assert.match(f.message, /unreachable/);
  assert.match(f.hint!, /promiscuous: accept/);
  quiet(nestedLab(), 'nested-needs-promiscuous');
  // vSS default forged transmits is accept (R2.4): only promiscuous is missing (§7.3).
  quiet(nestedLab({ outerSecurity: '{}' }), 'nested-needs-forged-transmits');
});

// network.md §7.6 (vmk1 has a generated MAC the outer switch does not know); seed 002 comment
test('nested-needs-promiscuous: a vmk1 inside the nested host counts, vmk0 (vNIC MAC) does not', () => {
  const vmk1 = '[{ name: vmk0, services: [management] }, { name: vmk1, services: [vmotion] }]';
  const text = nestedLab({ outerSecurity: '{}', innerVmkernel: vmk1 }).replace(/\n {2}- name: guest[\s\S]*$/, '\n');
  const f = fires(text, 'nested-needs-promiscuous', OUTER_NIC);
  assert.match(f.message, /vmk1 of nesx/);
  assert.doesNotMatch(f.message, /vmk0/);
  // vmk0 alone: its MAC is vmnic0's = the vNIC's (R1.16), known to the outer switch.
  quiet(nestedLab({ outerSecurity: '{}' }).replace(/\n {2}- name: guest[\s\S]*$/, '\n'), 'nested-needs-promiscuous');
});

// R4a.2, network.md §7.4: the dvFilter fling needs promiscuous mode too
test('nested-needs-promiscuous: macLearn (dvFilter) alone does not help', () => {
  const f = fires(nestedLab({ outerSecurity: '{}', nicExtra: ', macLearn: true' }), 'nested-needs-promiscuous', OUTER_NIC);
  assert.match(f.message, /dvFilter/);
  quiet(nestedLab({ nicExtra: ', macLearn: true' }), 'nested-needs-promiscuous');
});

// network.md §7.6, seed 002 (1:1 MAC mapping, no promiscuous mode); §7.6 constraint (not next to vmk0)
const ONE_TO_ONE = `
lab: one-to-one
vcenter: external
hosts:
  - name: esx-outer
    cpu: xeon-e5-2680-v4
    memory: 64GB
    nics: [{ name: vmnic0 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups: [{ name: Mgmt }, { name: VM Net }]
vms:
  - name: nesx
    host: esx-outer
    cpus: 2
    memory: 8GB
    exposeHardwareVirtualization: true
    nics:
      - { network: Mgmt }
      - { network: VM Net, mac: '00:50:56:1d:52:50' }
    nested:
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups: [{ name: Management Network, vmkernel: [{ name: vmk0 }] }]
        - name: vSwitch1
          uplinks: [vmnic1]
          portgroups: [{ name: VM Network 1 }]
  - name: centos1
    host: nesx
    cpus: 1
    memory: 1GB
    nics: [{ network: VM Network 1, mac: '00:50:56:1d:52:50' }]
`;

// network.md §7.6, seed 002 walk-through steps 5–7 (nested VM MAC = nested vmnic MAC), R2.5 (src = registered MAC passes)
test('nested-needs-promiscuous / forged: the 1:1 MAC mapping needs neither (§7.6, seed 002)', () => {
  quiet(ONE_TO_ONE, 'nested-needs-promiscuous');
  quiet(ONE_TO_ONE, 'nested-needs-forged-transmits');
  quiet(ONE_TO_ONE, 'duplicate-mac');
  // Without the mapping (centos1 keeps its own MAC), it fires on the vNIC behind vmnic1.
  const broken = ONE_TO_ONE.replace("{ network: VM Network 1, mac: '00:50:56:1d:52:50' }", '{ network: VM Network 1 }');
  fires(broken, 'nested-needs-promiscuous', ['vms', 0, 'nics', 1, 'network']);
});

// R2.5, R2.4, R6.6, network.md §7.1 step 2 (default vDS drops the nested VMs' frames)
const VDS_LAB = (pg: string, version = '8.0.0', extraDvs = '') => `
lab: vds
vcenter: external
hosts:
  - name: esx-outer
    cpu: xeon-gold-6130
    memory: 64GB
    nics: [{ name: vmnic0 }]
distributedSwitches:
  - name: dvs1
    version: '${version}'
    members: [{ host: esx-outer, uplinks: [vmnic0] }]
    portgroups:
      - ${pg}
${extraDvs}
vms:
  - name: nesx
    host: esx-outer
    cpus: 2
    memory: 8GB
    exposeHardwareVirtualization: true
    nics: [{ network: Nest }]
    nested:
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups: [{ name: VM Network, vlan: 0 }]
  - name: guest
    host: nesx
    cpus: 1
    memory: 1GB
    nics: [{ network: VM Network }]
`;

// R2.5, R2.4, R6.6, network.md §7.1 step 2, test scenario 32 (default vDS drops V's frames at L0 ingress)
test('nested-needs-forged-transmits: default vDS port group (all reject)', () => {
  const text = VDS_LAB('{ name: Nest }');
  const f = fires(text, 'nested-needs-forged-transmits', OUTER_NIC);
  assert.match(f.message, /dv port group "Nest" of vDS dvs1/);
  assert.match(f.message, /R2\.5/);
  fires(text, 'nested-needs-promiscuous', OUTER_NIC);
  // Forged accept fixes the outbound half only; promiscuous accept + forged accept fixes both.
  quiet(VDS_LAB('{ name: Nest, security: { forgedTransmits: accept } }'), 'nested-needs-forged-transmits');
  fires(VDS_LAB('{ name: Nest, security: { forgedTransmits: accept } }'), 'nested-needs-promiscuous', OUTER_NIC);
  quiet(VDS_LAB('{ name: Nest, security: { promiscuous: accept, forgedTransmits: accept } }'), 'nested-needs-promiscuous');
});

// R2.5, network.md §7.3 (promiscuous accept but forged reject: V's frames dropped at L0 ingress)
test('nested-needs-forged-transmits: vSS port group with forged transmits reject', () => {
  // §7.3: only promiscuous accept, forged reject → the nested VMs' frames are dropped at L0 ingress.
  fires(nestedLab({ outerSecurity: '{ promiscuous: accept, forgedTransmits: reject }' }), 'nested-needs-forged-transmits', OUTER_NIC);
  quiet(nestedLab({ outerSecurity: '{ promiscuous: accept, forgedTransmits: reject }' }), 'nested-needs-promiscuous');
  quiet(nestedLab(), 'nested-needs-forged-transmits');
});

// R4c.1, R4c.4, R4c.8 (MAC learning treated as passing the forged check), §7.5
test('native vDS 6.6 MAC learning satisfies both nested rules; on an older vDS it does nothing', () => {
  const learning = '{ name: Nest, macLearning: { enabled: true } }';
  quiet(VDS_LAB(learning, '6.6.0'), 'nested-needs-promiscuous');
  quiet(VDS_LAB(learning, '6.6.0'), 'nested-needs-forged-transmits');
  quiet(VDS_LAB(learning, '6.6.0'), 'mac-learning-needs-vds-6.6');
  fires(VDS_LAB(learning, '6.5.0'), 'nested-needs-promiscuous', OUTER_NIC);
});

// R4c.1, lab-file.md distributedSwitches ("MAC learning needs 6.6.0+")
test('mac-learning-needs-vds-6.6: MAC learning on a vDS 6.5.0', () => {
  const f = fires(VDS_LAB('{ name: Nest, macLearning: { enabled: true } }', '6.5.0'), 'mac-learning-needs-vds-6.6',
    ['distributedSwitches', 0, 'portgroups', 0, 'macLearning', 'enabled']);
  assert.match(f.message, /6\.5\.0/);
  quiet(VDS_LAB('{ name: Nest, macLearning: { enabled: true } }', '7.0.0'), 'mac-learning-needs-vds-6.6');
});

// network.md §7.7: every level that carries a hypervisor needs the policy, found recursively
test('nested-needs-promiscuous: three levels — L2\'s guest behind L1\'s vmnic', () => {
  const three = (l1Trunk: string) => `
lab: three
vcenter: external
hosts:
  - name: l0
    cpu: xeon-gold-6130
    memory: 64GB
    nics: [{ name: vmnic0 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups: [{ name: Trunk, vlan: 4095, security: { promiscuous: accept, forgedTransmits: accept } }]
vms:
  - name: l1
    host: l0
    cpus: 4
    memory: 24GB
    exposeHardwareVirtualization: true
    nics: [{ network: Trunk }]
    nested:
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups: [{ name: Trunk, vlan: 4095${l1Trunk} }]
  - name: l2
    host: l1
    cpus: 2
    memory: 8GB
    exposeHardwareVirtualization: true
    nics: [{ network: Trunk }]
    nested:
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups: [{ name: VLAN 30, vlan: 30 }]
  - name: x
    host: l2
    cpus: 1
    memory: 1GB
    nics: [{ network: VLAN 30 }]
`;
  const f = fires(three(''), 'nested-needs-promiscuous', ['vms', 1, 'nics', 0, 'network']);
  assert.match(f.message, /port group "Trunk" on l1/);
  const good = three(', security: { promiscuous: accept }');
  quiet(good, 'nested-needs-promiscuous');
  quiet(good, 'nested-vlan-needs-trunk');
  assert.deepEqual(lint(inventoryOf(good)), []);
});

// R8.6 (nested KVM inside ESXi is the same problem), R8.1–R8.3 (a Linux bridge learns)
test('nested-needs-promiscuous: nested KVM on ESXi fires; a hypervisor on a Linux bridge does not', () => {
  const kvmOnEsxi = (sec: string) => `
lab: kvm
vcenter: external
hosts:
  - name: esx1
    cpu: epyc-7302
    memory: 64GB
    nics: [{ name: vmnic0 }]
    switches:
      - { name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network, security: ${sec} }] }
vms:
  - name: kvm1
    host: esx1
    cpus: 2
    memory: 4GB
    exposeHardwareVirtualization: true
    nics: [{ network: VM Network }]
    nested:
      hypervisor: kvm
      switches: [{ name: br0, uplinks: [eth0] }]
  - { name: cirros, host: kvm1, cpus: 1, memory: 512MB, nics: [{ network: br0 }] }
`;
  fires(kvmOnEsxi('{}'), 'nested-needs-promiscuous', OUTER_NIC);
  quiet(kvmOnEsxi('{ promiscuous: accept }'), 'nested-needs-promiscuous');
  const esxiOnKvm = `
lab: kvm-outer
hosts:
  - name: kvm0
    hypervisor: kvm
    cpu: epyc-7302
    memory: 64GB
    nics: [{ name: eth0 }]
    switches: [{ name: br0, uplinks: [eth0] }]
vms:
  - name: nesx
    host: kvm0
    cpus: 2
    memory: 8GB
    exposeHardwareVirtualization: true
    nics: [{ network: br0 }]
    nested:
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }]
  - { name: guest, host: nesx, cpus: 1, memory: 1GB, nics: [{ network: VM Network }] }
`;
  quiet(esxiOnKvm, 'nested-needs-promiscuous');
  quiet(esxiOnKvm, 'nested-needs-forged-transmits');
});

// R3.5, R3.6, seed 001 ("allow a VLAN tag of all or 4095")
test('nested-vlan-needs-trunk: VLAN 100 inside the nested host, outer port group VLAN 0', () => {
  const path: Path = ['vms', 0, 'nested', 'switches', 0, 'portgroups', 1, 'vlan'];
  const f = fires(nestedLab({ innerVlan: 100, outerVlan: 0 }), 'nested-vlan-needs-trunk', path);
  assert.match(f.message, /port group "VM Network" on nesx \(VLAN 100\)/);
  assert.match(f.message, /port group "Nested Trunk" on esx-outer, VLAN 0/);
  quiet(nestedLab({ innerVlan: 100, outerVlan: 4095 }), 'nested-vlan-needs-trunk');
  // Untagged inside (VLAN 0) needs no trunk.
  quiet(nestedLab({ innerVlan: 0, outerVlan: 0 }), 'nested-vlan-needs-trunk');
});

// R3.7 (vDS trunk ranges pass only the VIDs inside them)
test('nested-vlan-needs-trunk: outer dv trunk that does not cover the VLAN', () => {
  const lab = (trunk: string) => VDS_LAB(`{ name: Nest, vlan: { trunk: [${trunk}] }, security: { promiscuous: accept, forgedTransmits: accept } }`)
    .replace('portgroups: [{ name: VM Network, vlan: 0 }]', 'portgroups: [{ name: VM Network, vlan: 150 }]');
  const f = fires(lab("'200-300'"), 'nested-vlan-needs-trunk', ['vms', 0, 'nested', 'switches', 0, 'portgroups', 0, 'vlan']);
  assert.match(f.message, /trunk 200-300/);
  quiet(lab("'0-4094'"), 'nested-vlan-needs-trunk');
  quiet(lab("'100-199'"), 'nested-vlan-needs-trunk');
});

// R3.5, R8.6: a KVM guest that tags (VGT) through the nested bridge needs a trunk outside
test('nested-vlan-needs-trunk: KVM guest with vlan behind a non-trunk outer port group', () => {
  const lab = (outerVlan: number) => `
lab: kvm-vgt
vcenter: external
hosts:
  - name: esx1
    cpu: xeon-e5-2680-v3
    memory: 64GB
    nics: [{ name: vmnic0 }]
    switches:
      - { name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: Nest, vlan: ${outerVlan}, security: { promiscuous: accept } }] }
vms:
  - name: kvm1
    host: esx1
    cpus: 2
    memory: 4GB
    exposeHardwareVirtualization: true
    nics: [{ network: Nest }]
    nested: { hypervisor: kvm, switches: [{ name: br0, uplinks: [eth0] }] }
  - { name: tagger, host: kvm1, cpus: 1, memory: 512MB, nics: [{ network: br0, vlan: 30 }] }
`;
  fires(lab(0), 'nested-vlan-needs-trunk', ['vms', 1, 'nics', 0, 'vlan']);
  quiet(lab(4095), 'nested-vlan-needs-trunk');
});

// R3.5, R3.6: a guest tagging on a VST/EST port group has its frames dropped
test('guest-vlan-tag-dropped: VGT NIC on a VLAN 0 port group', () => {
  const lab = (vlan: number) => `
lab: vgt
hosts:
  - name: esx1
    cpu: xeon-e5-2680-v3
    memory: 32GB
    nics: [{ name: vmnic0 }]
    switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: PG, vlan: ${vlan} }] }]
vms:
  - { name: router1, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: PG, vlan: 10 }] }
`;
  fires(lab(0), 'guest-vlan-tag-dropped', ['vms', 0, 'nics', 0, 'vlan']);
  quiet(lab(4095), 'guest-vlan-tag-dropped');
});

// R3.10 "Beaconing is not supported with guest VLAN tagging"; R5.9
test('beacon-with-vgt: beacon probing on a VLAN 4095 port group or a dv trunk', () => {
  const vss = (switchTeaming: string, pg: string) => `
lab: beacon
hosts:
  - name: esx1
    cpu: xeon-e5-2680-v3
    memory: 32GB
    nics: [{ name: vmnic0 }, { name: vmnic1 }, { name: vmnic2 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0, vmnic1, vmnic2]
        teaming: ${switchTeaming}
        portgroups: [{ name: VM Network }, ${pg}]
vms:
  - { name: router1, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: Trunk, vlan: 10 }] }
`;
  // Inherited from the vSwitch: the finding points at the port group's VLAN 4095.
  const f = fires(vss('{ detection: beacon }', '{ name: Trunk, vlan: 4095 }'), 'beacon-with-vgt', ['hosts', 0, 'switches', 0, 'portgroups', 1, 'vlan']);
  assert.match(f.message, /R3\.10/);
  // Set on the port group itself.
  fires(vss('{}', '{ name: Trunk, vlan: 4095, teaming: { detection: beacon } }'), 'beacon-with-vgt', ['hosts', 0, 'switches', 0, 'portgroups', 1, 'vlan']);
  // The trunk port group overrides back to link status; VST port groups may beacon; no beacons at all.
  quiet(vss('{ detection: beacon }', '{ name: Trunk, vlan: 4095, teaming: { detection: link } }'), 'beacon-with-vgt');
  quiet(vss('{ detection: beacon }', '{ name: Trunk, vlan: 10 }').replace(', vlan: 10 }] }', ' }] }'), 'beacon-with-vgt');
  quiet(vss('{}', '{ name: Trunk, vlan: 4095 }'), 'beacon-with-vgt');
  // vDS: a trunk dv port group with beacon probing.
  const dv = VDS_LAB("{ name: Nest, vlan: { trunk: ['0-4094'] }, security: { promiscuous: accept, forgedTransmits: accept }, teaming: { detection: beacon } }");
  fires(dv, 'beacon-with-vgt', ['distributedSwitches', 0, 'portgroups', 0, 'vlan']);
  quiet(dv.replace("vlan: { trunk: ['0-4094'] }, ", 'vlan: 10, '), 'beacon-with-vgt');
});

// compute.md §4 (vhv.enable; without it a nested ESXi runs only 32-bit guests); seed 001
test('nested-hv-not-exposed', () => {
  const f = fires(nestedLab({ exposeHv: false }), 'nested-hv-not-exposed', ['vms', 0, 'exposeHardwareVirtualization']);
  assert.match(f.message, /64-bit/);
  quiet(nestedLab({ exposeHv: true }), 'nested-hv-not-exposed');
});

// compute.md §4 (virtualized HV from hardware version 9); seed 001 ("at least ... version 9 or 10")
test('nested-hardware-version', () => {
  fires(nestedLab({ exposeHv: false, hardwareVersion: 8 }), 'nested-hardware-version', ['vms', 0, 'hardwareVersion']);
  quiet(nestedLab({ exposeHv: false, hardwareVersion: 9 }), 'nested-hardware-version');
});

// compute.md §2.2, §4 (nested ESXi minimum memory: 4 GB for 5.5–6.7, 8 GB for 7.0/8.0)
test('nested-esxi-min-memory', () => {
  const f = fires(nestedLab({ memory: '6GB', version: '8.0' }), 'nested-esxi-min-memory', ['vms', 0, 'memory']);
  assert.match(f.message, /8,192 MB/);
  quiet(nestedLab({ memory: '6GB', version: '6.5', hardwareVersion: 13 }), 'nested-esxi-min-memory');
  quiet(nestedLab({ memory: '8GB', version: '8.0' }), 'nested-esxi-min-memory');
});

// compute.md §4 ("At least 2 vCPUs"); seed 001
test('nested-esxi-min-cpus', () => {
  fires(nestedLab({ cpus: 1 }), 'nested-esxi-min-cpus', ['vms', 0, 'cpus']);
  quiet(nestedLab({ cpus: 2 }), 'nested-esxi-min-cpus');
});

// compute.md §4 (VT-x + EPT or AMD-V + RVI); cpu.ts: xeon-l5420 has VT-x without EPT
test('host-cpu-lacks-nested-support: Penryn host (no EPT)', () => {
  const f = fires(nestedLab({ hostCpu: 'xeon-l5420' }), 'host-cpu-lacks-nested-support', ['vms', 0, 'host']);
  assert.match(f.message, /Xeon L5420/);
  assert.match(f.message, /no EPT/);
  quiet(nestedLab({ hostCpu: 'xeon-x5570' }), 'host-cpu-lacks-nested-support');
});

// compute.md §4 applied one level down: L1 must expose HV for L2 to run
test('host-cpu-lacks-nested-support: a hypervisor inside a nested host that does not expose HV', () => {
  const lab = (expose: boolean) => `
lab: l2
vcenter: external
hosts:
  - { name: l0, cpu: xeon-gold-6130, memory: 64GB, nics: [{ name: vmnic0 }],
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: T, vlan: 4095, security: { promiscuous: accept } }] }] }
vms:
  - name: l1
    host: l0
    cpus: 4
    memory: 24GB
    exposeHardwareVirtualization: ${expose}
    nics: [{ network: T }]
    nested: { switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: T, vlan: 4095, security: { promiscuous: accept } }] }] }
  - name: l2
    host: l1
    cpus: 2
    memory: 8GB
    nics: [{ network: T }]
    nested: { hypervisor: kvm }
`;
  const f = fires(lab(false), 'host-cpu-lacks-nested-support', ['vms', 1, 'host']);
  assert.match(f.hint!, /exposeHardwareVirtualization: true on VM "l1"/);
  quiet(lab(true), 'host-cpu-lacks-nested-support');
});

// compute.md §2.1 (overhead ≈ 14.4 + 4·vCPU + 0.0074·MB), §2.2 (ESXi keeps ≈ 2 GB); seeds 000/001
test('host-memory-overcommitted: physical host with a nested ESXi and a reserved VM', () => {
  assert.ok(Math.abs(vmOverheadMB(1, 256) - 20.29) < 1 && Math.abs(vmOverheadMB(8, 16384) - 168.6) < 1, '§2.1 table');
  const lab = (power: 'on' | 'off') => `
lab: mem
hosts:
  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 16GB, nics: [{ name: vmnic0 }],
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: N, security: { promiscuous: accept } }] }] }
vms:
  - { name: nesx, host: esx1, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, nics: [{ network: N }], nested: {} }
  - { name: db, host: esx1, cpus: 1, memory: 6GB, power: ${power}, resources: { memory: { reservation: 6GB } } }
`;
  // 2048 + 8192 + 6144 + overheads ≈ 16,531 MB > 16,384 MB
  const f = fires(lab('on'), 'host-memory-overcommitted', ['hosts', 0, 'memory']);
  assert.match(f.message, /16,384 MB/);
  assert.match(f.message, /16,5\d\d MB/);
  quiet(lab('off'), 'host-memory-overcommitted');
});

// compute.md §2.1, §2.2 applied to a nested ESXi (its memory is the VM's, reserved 2 GB as ESXi)
test('host-memory-overcommitted: inside a nested host (path: the nested VM\'s memory)', () => {
  const lab = (guestMem: string) => nestedLab().replace('memory: 1GB\n    nics: [{ network: VM Network', `memory: ${guestMem}\n    resources: { memory: { reservation: ${guestMem} } }\n    nics: [{ network: VM Network`);
  fires(lab('6GB'), 'host-memory-overcommitted', ['vms', 0, 'memory']);
  quiet(lab('4GB'), 'host-memory-overcommitted');
});

// compute.md §5 (EVC), §6 (compatible CPUs or EVC); seed 000 (Xeon E3 + Atom C2750, EVC Westmere)
const CLUSTER_LAB = (cpuB: string, clusterExtra: string) => `
lab: cl
vcenter: external
datastores: [{ name: nfs, type: nfs, hosts: [esx-a, esx-b] }]
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 32GB }
  - { name: esx-b, cpu: ${cpuB}, memory: 32GB }
clusters:
  - { name: physical, hosts: [esx-a, esx-b]${clusterExtra} }
`;

// compute.md §5 (EVC baselines; Atom C2750 tops out at Westmere), §6 (compatible CPUs or EVC); seed 000
test('cluster-mixed-cpu-without-evc: Haswell + Atom C2750 without EVC', () => {
  const f = fires(CLUSTER_LAB('atom-c2750', ''), 'cluster-mixed-cpu-without-evc', ['clusters', 0, 'evc']);
  assert.match(f.hint!, /evc: intel-westmere/);
  quiet(CLUSTER_LAB('atom-c2750', ', evc: intel-westmere'), 'cluster-mixed-cpu-without-evc');
  quiet(CLUSTER_LAB('core-i7-4770', ''), 'cluster-mixed-cpu-without-evc'); // same Haswell features
  assert.match(fires(CLUSTER_LAB('epyc-7302', ''), 'cluster-mixed-cpu-without-evc', ['clusters', 0, 'evc']).message, /Intel and AMD/);
});

// compute.md §5 (a host joins an EVC cluster iff same vendor and max mode ≥ the cluster's; Intel and AMD cannot be mixed)
test('evc-mode-unsupported: Atom C2750 in an EVC Haswell cluster; AMD in an Intel mode', () => {
  const f = fires(CLUSTER_LAB('atom-c2750', ', evc: intel-haswell'), 'evc-mode-unsupported', ['clusters', 0, 'hosts', 1]);
  assert.match(f.message, /avx/);
  assert.match(f.hint!, /intel-westmere/);
  quiet(CLUSTER_LAB('atom-c2750', ', evc: intel-westmere'), 'evc-mode-unsupported');
  assert.match(fires(CLUSTER_LAB('epyc-7302', ', evc: intel-westmere'), 'evc-mode-unsupported', ['clusters', 0, 'hosts', 1]).message, /Intel and AMD/);
});

// compute.md §5: an EVC cluster masks what its VMs (nested hypervisors too) see
test('cluster-mixed-cpu-without-evc: nested hosts under an outer EVC cluster look identical', () => {
  const lab = (outerEvc: string) => `
lab: nested-evc
vcenter: external
datastores: [{ name: nfs, type: nfs, hosts: [esx-a, esx-b, n1, n2] }]
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 32GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: N }] }] }
  - { name: esx-b, cpu: atom-c2750, memory: 32GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: N }] }] }
clusters:
  - { name: physical, hosts: [esx-a, esx-b]${outerEvc} }
  - { name: nested, hosts: [n1, n2] }
vms:
  - { name: n1, host: esx-a, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, nics: [{ network: N }], nested: {} }
  - { name: n2, host: esx-b, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, nics: [{ network: N }], nested: {} }
`;
  const found = findings(lab(''), 'cluster-mixed-cpu-without-evc');
  assert.deepEqual(found.map((f) => f.path), [['clusters', 0, 'evc'], ['clusters', 1, 'evc']]);
  quiet(lab(', evc: intel-westmere'), 'cluster-mixed-cpu-without-evc');
  quiet(lab(', evc: intel-westmere'), 'evc-mode-unsupported');
});

// lab-file.md `vcenter` ("Absent: no vCenter, so no clusters, DRS, HA, vMotion or vDS changes"), R6.2
test('vds-without-vcenter', () => {
  const text = VDS_LAB('{ name: Nest, security: { promiscuous: accept, forgedTransmits: accept } }');
  fires(text.replace('vcenter: external\n', ''), 'vds-without-vcenter', ['distributedSwitches', 0]);
  quiet(text, 'vds-without-vcenter');
});

// lab-file.md `vcenter`; compute.md §7, §8 (DRS and HA are vCenter services); seed 001
test('cluster-without-vcenter', () => {
  const text = CLUSTER_LAB('xeon-e3-1230-v3', '');
  fires(text.replace('vcenter: external\n', ''), 'cluster-without-vcenter', ['clusters', 0]);
  quiet(text, 'cluster-without-vcenter');
});

// R1.11 (Net.ReversePathFwdCheckPromisc default 0), §7.2 last paragraph, test scenario 9
test('promiscuous-duplicate-frames: two uplinks and a promiscuous port group', () => {
  const lab = (settings: string, switchSec: string, pgSec: string) => `
lab: dup
${settings}
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0 }, { name: vmnic1 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0, vmnic1]
        security: ${switchSec}
        portgroups:
          - { name: VM Network }
          - { name: Nested Trunk, vlan: 4095, security: ${pgSec} }
`;
  fires(lab('', '{}', '{ promiscuous: accept }'), 'promiscuous-duplicate-frames', ['hosts', 0, 'switches', 0, 'portgroups', 1, 'security', 'promiscuous']);
  // Set on the vSwitch itself (as seed 001 did): the finding points at the switch.
  fires(lab('', '{ promiscuous: accept }', '{}'), 'promiscuous-duplicate-frames', ['hosts', 0, 'switches', 0, 'security', 'promiscuous']);
  quiet(lab('settings: { reversePathFwdCheckPromisc: true }', '{ promiscuous: accept }', '{}'), 'promiscuous-duplicate-frames');
  quiet(lab('', '{}', '{}'), 'promiscuous-duplicate-frames');
  // One uplink: nothing comes back (R1.11 "With a single uplink none of this is observable").
  quiet(lab('', '{ promiscuous: accept }', '{}').replace('uplinks: [vmnic0, vmnic1]', 'uplinks: [vmnic0]'), 'promiscuous-duplicate-frames');
});

// compute.md §6 (shared storage for vMotion), §8 (HA restarts from shared datastores)
test('cluster-no-shared-datastore', () => {
  const lab = (shared: boolean) => `
lab: ds
vcenter: external
datastores:
  - { name: local-a, type: local-ssd, hosts: [esx-a] }
  - { name: local-b, type: local-ssd, hosts: [esx-b] }
${shared ? '  - { name: nfs, type: nfs, hosts: [esx-a, esx-b] }' : ''}
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 32GB }
  - { name: esx-b, cpu: xeon-e3-1230-v3, memory: 32GB }
clusters:
  - { name: c1, hosts: [esx-a, esx-b], drs: { enabled: true }, ha: { enabled: true } }
`;
  const f = fires(lab(false), 'cluster-no-shared-datastore', ['clusters', 0, 'hosts']);
  assert.match(f.message, /DRS and HA/);
  quiet(lab(true), 'cluster-no-shared-datastore');
  // No DRS/HA: nothing to warn about.
  quiet(lab(false).replace(', drs: { enabled: true }, ha: { enabled: true }', ''), 'cluster-no-shared-datastore');
});

// seed 001 ("the entries learnt through this filter will not age out"), R4a.3, R4a.5
test('maclearn-frequent-moves: dvFilter on a nested host that DRS moves', () => {
  const lab = (drs: boolean) => `
lab: ml
vcenter: external
datastores: [{ name: nfs, type: nfs, hosts: [esx-a, esx-b] }]
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 32GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: N, security: { promiscuous: accept } }] }] }
  - { name: esx-b, cpu: xeon-e3-1230-v3, memory: 32GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: N, security: { promiscuous: accept } }] }] }
clusters:
  - { name: physical, hosts: [esx-a, esx-b], drs: { enabled: ${drs} } }
vms:
  - { name: nesx, host: esx-a, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, disks: [{ datastore: nfs, size: 10GB }],
      nics: [{ network: N, macLearn: true }], nested: {} }
`;
  const f = fires(lab(true), 'maclearn-frequent-moves', ['vms', 0, 'nics', 0, 'macLearn']);
  assert.match(f.message, /never age out/);
  quiet(lab(false), 'maclearn-frequent-moves');
});

// seed 001 ("when your nested Guest VMs are moving a lot ... the performance improvements will go away"), R4a.3
test('maclearn-frequent-moves: the nested cluster has DRS', () => {
  const lab = (drs: boolean) => `
lab: ml2
vcenter: external
datastores: [{ name: nfs, type: nfs, hosts: [n1, n2] }]
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 64GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: N, security: { promiscuous: accept } }] }] }
clusters:
  - { name: nested, hosts: [n1, n2], drs: { enabled: ${drs} } }
vms:
  - { name: n1, host: esx-a, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, nics: [{ network: N, macLearn: true }], nested: {} }
  - { name: n2, host: esx-a, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, nics: [{ network: N }], nested: {} }
`;
  const f = fires(lab(true), 'maclearn-frequent-moves', ['vms', 0, 'nics', 0, 'macLearn']);
  assert.match(f.message, /DRS cluster nested/);
  quiet(lab(false), 'maclearn-frequent-moves');
});

// R6.2–R6.4 (static binding needs vCenter to (re)bind a port; ephemeral recommended for vCenter, S37)
test('vcenter-on-static-dvportgroup', () => {
  const lab = (binding: string) => `
lab: vc
vcenter: vcsa
hosts:
  - { name: esx1, cpu: xeon-gold-6130, memory: 64GB, nics: [{ name: vmnic0 }] }
distributedSwitches:
  - name: dvs1
    members: [{ host: esx1, uplinks: [vmnic0] }]
    portgroups: [{ name: Mgmt, binding: ${binding} }]
vms:
  - { name: vcsa, host: esx1, cpus: 2, memory: 14GB, nics: [{ network: Mgmt }] }
`;
  const f = fires(lab('static'), 'vcenter-on-static-dvportgroup', ['vms', 0, 'nics', 0, 'network']);
  assert.match(f.message, /vcsa/);
  quiet(lab('ephemeral'), 'vcenter-on-static-dvportgroup');
});

// network.md §7.6 constraint ("never map to mE0 on the vSwitch that holds vmk0"), R1.1, R1.16
test('duplicate-mac: a nested VM mapped to vmnic0\'s MAC next to vmk0', () => {
  const mac = ", mac: '00:50:56:1d:52:50'";
  const f = fires(nestedLab({ nicExtra: mac, guestMac: mac }), 'duplicate-mac', ['vms', 1, 'nics', 0, 'mac']);
  assert.match(f.message, /vmk0 of nesx/);
  assert.match(f.message, /vSwitch vSwitch0 on nesx/);
  quiet(nestedLab(), 'duplicate-mac');
});

// R1.1 (a vSwitch knows each port's MAC from configuration: one MAC, one port), R1.4 (separate vSwitches share nothing)
test('duplicate-mac: two VMs with the same MAC on one vSwitch; different vSwitches are fine', () => {
  const lab = (pg2: string) => `
lab: dupmac
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0 }, { name: vmnic1 }]
    switches:
      - { name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: A }, { name: B }] }
      - { name: vSwitch1, uplinks: [vmnic1], portgroups: [{ name: C }] }
vms:
  - { name: vm1, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: A, mac: '00:50:56:00:00:01' }] }
  - { name: vm2, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: ${pg2}, mac: '00:50:56:00:00:01' }] }
`;
  fires(lab('B'), 'duplicate-mac', ['vms', 1, 'nics', 0, 'mac']);
  quiet(lab('C'), 'duplicate-mac');
});

// compute.md §2.2 (HW11 = 6.0, HW13 = 6.5); cloud-nested example ("ESXi 6.0 hosts run up to virtual hardware 11")
test('hardware-version-unsupported: default hardware 13 on an ESXi 6.0 host', () => {
  const lab = (hw: string) => `
lab: hw
hosts:
  - { name: esx60, version: '6.0', cpu: xeon-e5-2680-v4, memory: 64GB }
vms:
  - { name: vm1, host: esx60, cpus: 1, memory: 1GB${hw} }
`;
  fires(lab(''), 'hardware-version-unsupported', ['vms', 0, 'hardwareVersion']);
  quiet(lab(', hardwareVersion: 11'), 'hardware-version-unsupported');
});

// compute.md §6 ("Identically named VM port groups on both hosts; the names are case-sensitive"); seed 001
test('drs-network-not-on-all-hosts: a port group on one host only', () => {
  const lab = (pgB: string) => `
lab: drsnet
vcenter: external
datastores: [{ name: nfs, type: nfs, hosts: [esx-a, esx-b] }]
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 32GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: Web }] }] }
  - { name: esx-b, cpu: xeon-e3-1230-v3, memory: 32GB, nics: [{ name: vmnic0 }], switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: ${pgB} }] }] }
clusters:
  - { name: c1, hosts: [esx-a, esx-b], drs: { enabled: true } }
vms:
  - { name: web1, host: esx-a, cpus: 1, memory: 1GB, disks: [{ datastore: nfs, size: 10GB }], nics: [{ network: Web }] }
`;
  const f = fires(lab('web'), 'drs-network-not-on-all-hosts', ['vms', 0, 'nics', 0, 'network']);
  assert.match(f.message, /esx-b/);
  quiet(lab('Web'), 'drs-network-not-on-all-hosts');
});

// compute.md §7: "When two VM-Host rules conflict, the older one wins and the newer one is disabled."
test('drs-rule-conflict: a newer must rule keeping a VM on other hosts is disabled; so is anti-affinity against an older affinity', () => {
  const lab = (rules: string) => `
lab: rules
vcenter: external
datastores: [{ name: nfs, type: nfs, hosts: [esx-a, esx-b] }]
hosts:
  - { name: esx-a, cpu: xeon-e3-1230-v3, memory: 32GB }
  - { name: esx-b, cpu: xeon-e3-1230-v3, memory: 32GB }
clusters:
  - { name: c1, hosts: [esx-a, esx-b], drs: { enabled: true }, rules: [${rules}] }
vms:
  - { name: v1, cluster: c1, cpus: 1, memory: 1GB }
  - { name: v2, cluster: c1, cpus: 1, memory: 1GB }
`;
  const f = fires(lab('{ name: on-a, type: vm-host-must, vms: [v1], hosts: [esx-a] }, { name: on-b, type: vm-host-must, vms: [v1], hosts: [esx-b] }'),
    'drs-rule-conflict', ['clusters', 0, 'rules', 1]);
  assert.match(f.message, /"on-b".*older rule "on-a"/);
  fires(lab('{ name: together, type: vm-affinity, vms: [v1, v2] }, { name: apart, type: vm-anti-affinity, vms: [v1, v2] }'), 'drs-rule-conflict', ['clusters', 0, 'rules', 1]);
  quiet(lab('{ name: on-a, type: vm-host-must, vms: [v1], hosts: [esx-a] }, { name: on-ab, type: vm-host-should, vms: [v1], hosts: [esx-a, esx-b] }'), 'drs-rule-conflict');
  quiet(lab('{ name: apart, type: vm-anti-affinity, vms: [v1, v2] }'), 'drs-rule-conflict');
});

// network.md R5.4, §10.28: "IP-based teaming requires that the physical switch be configured with EtherChannel"
test('ip-hash-without-port-channel: IP hash over two uplinks needs them in one port channel of one switch', () => {
  const lab = (p1: string, p2: string, policy = 'ip-hash') => `
lab: iphash
network:
  switches:
    - { name: psw, ports: { p1: { mode: trunk${p1} }, p2: { mode: trunk${p2} } } }
hosts:
  - name: esx
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, connect: psw/p1 }, { name: vmnic1, connect: psw/p2 }]
    switches:
      - { name: vSwitch0, uplinks: [vmnic0, vmnic1], teaming: { policy: ${policy} }, portgroups: [{ name: VM Network }] }
`;
  const f = fires(lab('', ''), 'ip-hash-without-port-channel', ['hosts', 0, 'switches', 0, 'portgroups', 0]);
  assert.match(f.message, /vmnic0 → psw\/p1, vmnic1 → psw\/p2/);
  fires(lab(', channel: po1', ', channel: po2'), 'ip-hash-without-port-channel', ['hosts', 0, 'switches', 0, 'portgroups', 0]);
  quiet(lab(', channel: po1', ', channel: po1'), 'ip-hash-without-port-channel');
  quiet(lab('', '', 'port-id'), 'ip-hash-without-port-channel');
});

// ---- the rule list and the order of findings ------------------------------------------------------

// the rule ids are a contract (diagnostics.ts Finding.code: "warnings: the lint rule id")
test('LINT_RULES: stable kebab-case ids, unique, the contract ids present', () => {
  const ids = LINT_RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const r of LINT_RULES) {
    assert.match(r.id, /^[a-z0-9]+(-[a-z0-9.]+)*$/);
    assert.ok(r.summary.length > 10, r.id);
  }
  for (const id of [
    'nested-needs-promiscuous', 'nested-needs-forged-transmits', 'nested-vlan-needs-trunk', 'nested-hv-not-exposed',
    'nested-hardware-version', 'nested-esxi-min-memory', 'nested-esxi-min-cpus', 'host-cpu-lacks-nested-support',
    'host-memory-overcommitted', 'cluster-mixed-cpu-without-evc', 'evc-mode-unsupported', 'vds-without-vcenter',
    'promiscuous-duplicate-frames', 'cluster-no-shared-datastore', 'maclearn-frequent-moves', 'cluster-without-vcenter',
    'vcenter-on-static-dvportgroup', 'mac-learning-needs-vds-6.6', 'duplicate-mac', 'beacon-with-vgt',
  ]) assert.ok(ids.includes(id), id);
});

// determinism: same lab ⇒ same findings in the same order (lab-file.md settings.seed contract)
test('lint: findings in rule order, then inventory order; deterministic', () => {
  const text = nestedLab({ outerSecurity: '{}', exposeHv: false, cpus: 1, innerVlan: 100, outerVlan: 0 })
    + '  - { name: guest2, host: nesx, cpus: 1, memory: 1GB, nics: [{ network: VM Network }] }\n';
  const a = lint(inventoryOf(text));
  const b = lint(inventoryOf(text));
  assert.deepEqual(a, b);
  const order = LINT_RULES.map((r) => r.id);
  const ranks = a.map((f) => order.indexOf(f.code));
  assert.deepEqual(ranks, [...ranks].sort((x, y) => x - y));
  assert.deepEqual([...new Set(a.map((f) => f.code))], [
    'nested-needs-promiscuous', 'nested-vlan-needs-trunk', 'nested-hv-not-exposed', 'nested-esxi-min-cpus',
  ]);
  // Both nested VMs are named in the one finding of the one vNIC, in inventory order.
  const promisc = a.filter((f) => f.code === 'nested-needs-promiscuous');
  assert.equal(promisc.length, 1);
  assert.match(promisc[0]!.message, /VM "guest".*VM "guest2"/);
});
