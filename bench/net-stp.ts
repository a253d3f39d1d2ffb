// Spanning-tree benchmark (not a test): what 802.1D (src/net/stp.ts) costs a lab's network.
//
//   node --import tsx bench/net-stp.ts            # switch counts 10, 50, 200; 5 repetitions
//   node --import tsx bench/net-stp.ts --max=100  # up to 100 switches
//
// The physical network: N switches in a ring, each also cabled to the switch N/2 away (a mesh of
// loops: N + N/2 links, N/2 + 1 of them blocked), one ESXi host with two uplinks and 8 VMs per
// switch. Measured in the same run, with and without `stp:` on every switch:
//   build     buildNetwork + the tree converged (what every command that runs the network pays)
//   link      one inter-switch link down then up again (the tree recomputed twice, transitions armed)
//   flood     a broadcast from one VM to the whole network (how many hops; without STP the loops
//             make it run until the fabric's depth guard stops it)
// Reported: medians in ms, and the ratio with/without STP.
import { cpus, loadavg } from 'node:os';
import { loadLabText } from '../src/plan/load.js';
import { buildNetwork, type Network } from '../src/net/topology.js';
import { changeLink } from '../src/net/links.js';
import { startPeriodic } from '../src/net/periodic.js';
import { buildEthernet, BROADCAST_MAC, macToNumber } from '../src/net/codec/index.js';
import { RX } from '../src/net/reasons.js';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const MAX = arg('max', 200);
const REPS = arg('reps', 5);

function labText(n: number, stp: boolean): string {
  const sw: string[] = [];
  const links: string[] = [];
  const hosts: string[] = [];
  const vms: string[] = [];
  for (let i = 0; i < n; i++) {
    sw.push(`    - name: s${i}${stp ? `\n      stp: ${i === 0 ? '{ priority: 4096 }' : 'true'}` : ''}
      ports: { default: { mode: trunk, native: 1, allowed: all }, e1: { mode: trunk, native: 1, allowed: all, portfast: true }, e2: { mode: trunk, native: 1, allowed: all, portfast: true } }`);
    links.push(`[s${i}/r1, s${(i + 1) % n}/r2]`);
    if (i < n / 2) links.push(`[s${i}/x, s${i + Math.floor(n / 2)}/x]`);
    hosts.push(`  - { name: esx${i}, cpu: xeon-gold-6130, memory: 256GB, nics: [{ name: vmnic0, connect: s${i}/e1 }, { name: vmnic1, connect: s${i}/e2 }], switches: [{ name: vSwitch0, uplinks: [vmnic0, vmnic1], portgroups: [{ name: VM Network }] }] }`);
    for (let j = 0; j < 8; j++) vms.push(`  - { name: vm${i}-${j}, host: esx${i}, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.${i >> 8}.${i & 255}.${j + 10}/8 }] }`);
  }
  return `lab: stp-bench\nnetwork:\n  switches:\n${sw.join('\n')}\n  links: [${links.join(', ')}]\nhosts:\n${hosts.join('\n')}\nvms:\n${vms.join('\n')}\n`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (fn: () => void): number => { const t = performance.now(); fn(); return performance.now() - t; };

function measure(n: number, stp: boolean): { build: number; link: number; hops: number } {
  const l = loadLabText('stp-bench.yaml', labText(n, stp));
  if (!l.ok) throw new Error(JSON.stringify(l.errors.slice(0, 3)));
  const inv = l.inventory;
  const rt = { vm: (name: string) => ({ on: true, host: inv.vms.get(name)!.host }) };
  const builds: number[] = [];
  const linksMs: number[] = [];
  let net!: Network;
  for (let r = 0; r < REPS; r++) {
    builds.push(time(() => { net = buildNetwork(inv, rt); startPeriodic(net); }));
    const cable = net.ports.get('switchport:s0/r1')!;
    linksMs.push(time(() => { changeLink(net, cable, false); changeLink(net, cable, true); }));
  }
  // One broadcast from vm0-0; hops = frames received by forwarding devices.
  const src = net.interfaces.get('vm0-0/nic0')!.iface;
  const frame = buildEthernet({ dst: BROADCAST_MAC, src: macToNumber('00:50:56:00:00:01'), etherType: 0x88b5, payload: new Uint8Array(46) });
  const before = [...net.ports.values()].reduce((s, p) => s + p.counters[RX]!, 0);
  net.fabric.transmit(src.port, frame, 0, net.fabric.now);
  const hops = [...net.ports.values()].reduce((s, p) => s + p.counters[RX]!, 0) - before;
  return { build: median(builds), link: median(linksMs), hops };
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('switches  build no-STP  build STP  ratio   link change no-STP  STP   broadcast frames received no-STP  STP');
for (const n of [10, 50, 200].filter((x) => x <= MAX)) {
  const off = measure(n, false);
  const on = measure(n, true);
  console.log(`${String(n).padStart(8)}  ${off.build.toFixed(1).padStart(10)} ms ${on.build.toFixed(1).padStart(7)} ms  ${(on.build / off.build).toFixed(2).padStart(5)}   ${off.link.toFixed(2).padStart(12)} ms ${on.link.toFixed(2).padStart(6)} ms   ${String(off.hops).padStart(22)} ${String(on.hops).padStart(6)}`);
}
