// Spanning-tree lint rules (spec/network.md R9.9, R5.9): what a physical switch running STP does
// to the ESXi hosts cabled to it.
import type { Finding } from '../spec/diagnostics.js';
import { finding, type LintRule } from './util.js';

/**
 * network.md R9.9: "ESXi-facing ports should be portfast (trunk) and bpduguard"; R5.9: a port
 * blocked by STP is invisible to link-status detection. Only switches that run STP: without it a
 * port forwards as soon as its link is up, and nothing is to be said (labs without STP stay quiet).
 */
export const esxiPortNotPortfast: LintRule = {
  id: 'esxi-port-not-portfast',
  summary: 'a physical switch port running spanning tree toward an ESXi host should be portfast, or failback blackholes traffic for 30 s',
  check(inv) {
    const out: Finding[] = [];
    for (const host of inv.hosts.values()) {
      if (host.vm !== undefined || host.hypervisor !== 'esxi') continue;
      for (const nic of host.nics) {
        const sw = nic.connect && inv.pswitches.get(nic.connect.switch);
        const port = sw?.stp && sw.ports.get(nic.connect!.port);
        if (!sw || !port || port.portfast === true) continue;
        const fd = sw.stp!.forwardDelayS;
        out.push(finding(
          'esxi-port-not-portfast',
          `switch port ${sw.name}/${port.name} (to ${host.name} ${nic.name}) runs spanning tree without portfast: when its link comes back it listens and learns for ${2 * fd} s, `
          + `while ESXi, seeing the link up, fails traffic back to ${nic.name} after 100 ms (Net.TeamPolicyUpDelay) — frames are dropped until the port forwards, and link-status detection cannot tell (R9.9, R5.9).`,
          port.declared ? [...port.source] : [...nic.source, 'connect'],
          `set portfast: true (and bpduguard: true) on ${sw.name}/${port.name}: an ESXi host runs no STP and never bridges two uplinks (R1.10, R1.14)`,
        ));
      }
    }
    return out;
  },
};
