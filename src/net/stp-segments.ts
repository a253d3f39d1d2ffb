// Where a BPDU sent out of a spanning-tree port arrives: the STP ports it reaches through cables
// and through the devices that do not run STP, each passing it on as it passes any BPDU in
// reality. That is the "LAN segment" of 802.1D, which spanning tree needs to know (stp.ts) and
// which nestlab works out from the topology instead of exchanging BPDUs frame by frame:
//
// - a physical switch without STP floods it (R9.3) — [L] to every other port, whatever the VLAN;
// - a Linux bridge with STP off forwards it ("If STP is turned off, then must forward to keep
//   loop detection", br_input.c; R8.4), so a loop through it is still seen — and broken;
// - an ESXi vSwitch never passes a frame from one uplink to another (R1.10): a BPDU from the
//   physical network reaches only local ports that take that multicast group — nested
//   hypervisors (their vmnic is a promiscuous uplink) and promiscuous guests, on a port group
//   that admits untagged frames (R1.9, R2.3); a BPDU a VM sends leaves on the uplink its port
//   uses now (R1.14), unless Net.BlockGuestBPDU drops it;
// - an Open vSwitch bridge without STP drops BPDUs (other_config:forward-bpdu defaults to false),
//   and guests and unused NICs take them in: the BPDU ends there.
import { admits, VSwitch, type VPort } from './vswitch.js';
import { LinuxBridge } from './bridge.js';
import { PhysicalSwitch } from './pswitch.js';
import { configBpduFrame } from './stp-bpdu.js';
import type { Port } from './fabric.js';

/** A BPDU-shaped frame, for asking a vNIC's multicast filter whether it takes the group (R1.7). */
const PROBE = configBpduFrame(0, { root: { priority: 0, mac: 0 }, rootCost: 0, bridge: { priority: 0, mac: 0 }, portId: 0, maxAge: 20, helloTime: 2, forwardDelay: 15 });

/** Does a vSwitch deliver a BPDU from the physical network (untagged) to this port? */
function takesBpdu(vp: VPort): boolean {
  if (!vp.receives || !admits(vp.policy.vlan, 0)) return false;
  return vp.allMulticast || (vp.policy.promiscuous && vp.guestPromisc) || vp.wantsGroup(PROBE);
}

/**
 * The STP ports (values of `stpPortOf`) a BPDU sent out of `from` reaches. `blockGuestBPDU`:
 * Net.BlockGuestBPDU on ESXi vSwitches (R1.14).
 */
export function bpduReach<T>(from: Port, stpPortOf: ReadonlyMap<Port, T>, blockGuestBPDU: boolean): T[] {
  const reached: T[] = [];
  const seen = new Set<Port>();
  const stack: Port[] = [from];
  while (stack.length > 0) {
    const out = stack.pop()!;
    const to = out.peer;
    if (to === null || !out.up || !to.up || seen.has(to)) continue;
    seen.add(to);
    const stp = stpPortOf.get(to);
    if (stp !== undefined) {
      // An STP bridge takes it in and passes it on to nobody.
      if (!reached.includes(stp)) reached.push(stp);
      continue;
    }
    const dev = to.device;
    if (dev instanceof PhysicalSwitch) {
      const ingress = dev.logicalPorts().find((l) => l.members.includes(to));
      for (const p of dev.ports) if (!ingress?.members.includes(p)) stack.push(p);
    } else if (dev instanceof LinuxBridge) {
      for (const p of dev.ports) if (p !== to) stack.push(p);
    } else if (dev instanceof VSwitch) {
      const vp = dev.portFor(to);
      if (vp === undefined) {
        // From an uplink: local ports only (R1.10).
        for (const v of dev.vports) if (takesBpdu(v)) stack.push(v.port);
      } else {
        if (blockGuestBPDU) continue; // R1.14 Net.BlockGuestBPDU
        const uplink = vp.selected ?? firstChoice(dev, vp);
        if (uplink !== null) stack.push(uplink);
        for (const v of dev.vports) if (v !== vp && takesBpdu(v)) stack.push(v.port);
      }
    }
  }
  return reached;
}

/** The uplink teaming would pick for a port that has sent nothing yet — without recording it. */
function firstChoice(dev: VSwitch, vp: VPort): Port | null {
  const u = dev.selectUplink(vp);
  vp.selected = null;
  return u;
}
