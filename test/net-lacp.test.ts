// LACP (spec/network.md R6.5 "vDS adds … LACP", with R5.4, R5.7, R5.10, R5.11): link aggregation
// groups on the vDS and LACP port channels on physical switches — which links bundle (active and
// passive, LACP against a static channel, members cabled to another switch), how a bundled LAG
// spreads frames and takes broadcast, what a link going down and coming back does (802.3ad
// §43.4.4 Aggregate_Wait_Time 2 s), what `show`, `trace`, events, captures and lint say, the
// resolver's refusals, and that it all carries from one command to the next.
//
// Sources: vSphere Networking 6.5–8.0 "LACP Support on a vSphere Distributed Switch", "LACP
// Teaming and Failover Configuration for Distributed Port Groups", "Limitations of the LACP
// Support"; KB 2034277 (LACP 5.1, mode default passive), KB 315280/315347 (enhanced LACP, nested
// hosts); VMwareDvsLacpGroupConfig / VMwareDvsLacpLoadBalanceAlgorithm / VMwareDvsLacpCapability
// (vSphere API); Catalyst 9400 17.5 EtherChannel guide (standalone-disable: suspended); 802.3ad
// §43.4.4 timers (Linux bond_3ad.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROADCAST_MAC, buildEthernet, buildIpv4, buildUdp, ipToNumber, macToNumber } from '../src/net/codec/index.js';
import { changeLink } from '../src/net/links.js';
import { AGGREGATE_WAIT_MS, lacpNeedsTime, type LacpView } from '../src/net/lacp.js';
import { isSlowProtocolsAt, LACP_ACTIVITY, LACP_DISTRIBUTING, LACP_SYNC, parseLacpdu } from '../src/net/lacp-pdu.js';
import { endpoint, trace, targetIp } from '../src/net/probe.js';
import { snapshot } from '../src/net/state.js';
import { switchMac } from '../src/net/stp.js';
import type { Network } from '../src/net/topology.js';
import { loadLabText } from '../src/plan/load.js';
import { lint } from '../src/lint/index.js';
import { nestlabSrc, tempDir } from './helpers.js';
import { MAC, advance, eth, lab, m, network, pingOk, portOf, record, send, vm, vswitch, watch } from './net-helpers.js';

// ---- labs -------------------------------------------------------------------------------------

interface LacpLab {
  /** channelMode of psw p1, p2 (po1); undefined: no channel at all */
  psw?: 'active' | 'passive' | 'on' | undefined;
  /** the LAG's YAML flow-map extras (mode, loadBalancing, ports, timeout) */
  lag?: string;
  /** vmnics on lag1 (default vmnic0, vmnic1) */
  lagNics?: string[];
  /** standalone uplinks of the member (default vmnic2) */
  uplinks?: string[];
  /** PG's teaming (default: lag1 alone active) */
  teaming?: string;
  /** vmnic1 goes to psw2/p1 (channel po1, the same mode) instead of psw/p2 */
  crossCabled?: boolean;
  /** the vDS version (default 8.0.0) */
  version?: string;
  /** VMs on PG (default a and b) */
  vms?: string[];
  /** more psw ports, verbatim flow entries */
  ports?: string[];
}

function lacpLab(o: LacpLab = {}): string {
  const mode = o.psw === undefined ? '' : `, channel: po1, channelMode: ${o.psw}`;
  const lagNics = o.lagNics ?? ['vmnic0', 'vmnic1'];
  return `
lab: lacp
vcenter: external
network:
  switches:
    - name: psw
      ports:
        p1: { mode: trunk${mode} }
        p2: { mode: trunk${mode} }
        p3: { mode: trunk }
        p10: { mode: access, vlan: 1 }
${(o.ports ?? []).map((p) => `        ${p}`).join('\n')}
    - name: psw2
      ports:
        p1: { mode: trunk${mode} }
        p10: { mode: access, vlan: 1 }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: psw/p10 }] }
  links: [[psw/p4, psw2/p10]]
distributedSwitches:
  - name: dvs
    version: ${o.version ?? '8.0.0'}
    lags: [{ name: lag1${o.lag ? `, ${o.lag}` : ''} }]
    members: [{ host: esx1, uplinks: [${(o.uplinks ?? ['vmnic2']).join(', ')}], lags: { lag1: [${lagNics.join(', ')}] } }]
    portgroups:
      - { name: PG, teaming: ${o.teaming ?? '{ active: [lag1] }'} }
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 128GB
    nics:
      - { name: vmnic0, mac: '00:10:00:00:00:00', connect: psw/p1 }
      - { name: vmnic1, mac: '00:10:00:00:00:01', connect: ${o.crossCabled ? 'psw2/p1' : 'psw/p2'} }
      - { name: vmnic2, mac: '00:10:00:00:00:02', connect: psw/p3 }
vms:
${(o.vms ?? [vm('a', 'PG', 'ip: 10.0.0.1/24'), vm('b', 'PG', 'ip: 10.0.0.2/24')]).join('\n')}
`;
}

const ACTIVE = 'mode: active';
const DVS = 'dvswitch:dvs@esx1';
const VMNIC0 = 'nic:esx1/vmnic0';
const VMNIC1 = 'nic:esx1/vmnic1';
const VMNIC2 = 'nic:esx1/vmnic2';

/** The LAGs of the proxy switch, or a physical switch's LACP channels, as `show` gives them. */
function lacpOf(net: Network, device: string): LacpView[] {
  return net.lacp!.describe(device, net.fabric.now);
}
const states = (net: Network, device = DVS) => lacpOf(net, device)[0]!.members.map((x) => x.state);

/** A UDP frame from VM a (10.0.0.1) to station h (10.0.0.100), from source port `sport`. */
function udp(sport: number, dport = 5001, src = 'a', srcIp = '10.0.0.1'): Uint8Array {
  const [s, d] = [ipToNumber(srcIp), ipToNumber('10.0.0.100')];
  const payload = buildIpv4({ src: s, dst: d, protocol: 17, payload: buildUdp({ srcPort: sport, dstPort: dport, payload: new Uint8Array(18), srcIp: s, dstIp: d }) });
  return buildEthernet({ dst: m('h'), src: m(src), etherType: 0x0800, payload });
}

/**
 * The drops `nestlab trace` shows for a ping that gets no reply, each once (the ARP request is
 * retried, and may still reach the other VM).
 */
function traceDrops(net: Network, from: string, to: string): Array<{ device: string; port: string; rule: string; reason: string }> {
  const r = trace(net, endpoint(net, from), targetIp(net, to));
  assert.equal(r.delivered, false);
  const drops = r.frames.flatMap((f) => f.hops).filter((h) => h.action === 'drop' && h.reason !== 'not-for-me').map((h) => JSON.stringify({ device: h.device, port: h.port, rule: h.rule, reason: h.reason }));
  return [...new Set(drops)].map((d) => JSON.parse(d) as { device: string; port: string; rule: string; reason: string });
}

// ---- negotiation ------------------------------------------------------------------------------

test('R6.5: an active LAG and an active LACP channel bundle both members; each end sees the other as its partner', () => {
  const { net } = lab(lacpLab({ psw: 'active', lag: ACTIVE }));
  const [lag] = lacpOf(net, DVS);
  const [po1] = lacpOf(net, 'pswitch:psw');
  assert.deepEqual(lag!.members.map((x) => [x.port, x.interface, x.state]), [['lag1-0', 'esx1/vmnic0', 'bundled'], ['lag1-1', 'esx1/vmnic1', 'bundled']]);
  assert.deepEqual(po1!.members.map((x) => [x.port, x.state]), [['p1', 'bundled'], ['p2', 'bundled']]);
  assert.equal(lag!.partner, po1!.system, 'the LAG bundles with the switch\'s system');
  assert.equal(po1!.partner, lag!.system);
  assert.equal(po1!.system, `32768,${'00:1b:d4'}:${switchMac('psw').toString(16).slice(-6).match(/../g)!.join(':')}`, '[L] the switch\'s system id: priority 32768 and its bridge MAC (stp.ts)');
  assert.equal(lag!.system, '32768,00:10:00:00:00:00', '[L] ESXi: the host\'s lowest NIC MAC');
  assert.deepEqual([po1!.key, lag!.key], [1, 1], 'Cisco: the channel-group number is the key');
  assert.equal(lag!.loadBalancing, 'srcDestIpTcpUdpPortVlan', 'the vSphere Client\'s default load-balancing mode');
  assert.deepEqual(lag!.members[0]!.partner, { system: po1!.system, key: 1, port: 'psw/p1' });
  assert.equal(pingOk(net, 'a', 'h'), 2);
});

test('R6.5: active–passive bundles either way round; passive–passive never does (vSAN design guide: "At least one must be Active")', () => {
  for (const [psw, lagMode, bundles] of [['active', 'mode: passive', true], ['passive', ACTIVE, true], ['passive', 'mode: passive', false]] as const) {
    const { net } = lab(lacpLab({ psw, lag: lagMode }));
    const want = bundles ? 'bundled' : 'individual';
    assert.deepEqual(states(net), [want, want], `${psw} switch, LAG ${lagMode}`);
    assert.deepEqual(states(net, 'pswitch:psw'), bundles ? ['bundled', 'bundled'] : ['suspended', 'suspended'], 'Catalyst suspends LACP ports that do not bundle (standalone-disable)');
    assert.equal(pingOk(net, 'a', 'h'), bundles ? 2 : 0);
  }
  // The LAG's default mode is passive, as vSphere's ("The default setting is passive", KB 2034277).
  const { net } = lab(lacpLab({ psw: 'passive' }));
  assert.equal(lacpOf(net, DVS)[0]!.members[0]!.mode, 'passive');
  assert.match(lacpOf(net, DVS)[0]!.members[0]!.reason!, /both ends are passive/);
  const w = watch(net);
  const [f] = record(net, () => send(net, 'a/nic0', eth(m('a'), m('h'))));
  assert.equal(w.drop('dvswitch:dvs@esx1[vnic:a/0]', 'lacp-not-bundled'), 1, 'the LAG carries nothing: the VM\'s frame dies at its port (R6.5)');
  assert.equal(f!.drop?.reason, 'lacp-not-bundled');
  assert.equal(f!.drop?.rule, 'R6.5');
  // Lint says why before the lab runs.
  const l = loadLabText('s.yaml', lacpLab({ psw: 'passive' }));
  assert.ok(l.ok, 'the lab resolves');
  assert.match(lint(l.inventory).find((x) => x.code === 'lag-not-on-lacp-channel')!.message, /passive and so is psw po1/);
});

test('R6.5, R5.4: an LACP LAG against a static channel (mode on) does not bundle; the switch floods into the links anyway and ESXi drops it', () => {
  const { net } = lab(lacpLab({ psw: 'on', lag: ACTIVE, uplinks: [] }));
  const [lag] = lacpOf(net, DVS);
  assert.deepEqual(states(net), ['individual', 'individual']);
  assert.match(lag!.members[0]!.reason!, /psw\/p1 is not an LACP port .*no LACPDUs come back/);
  assert.equal(lacpOf(net, 'pswitch:psw').length, 0, 'a static channel runs no LACP');
  assert.deepEqual(traceDrops(net, 'a', 'h'), [{ device: DVS, port: 'dvswitch:dvs@esx1[vnic:a/0]', rule: 'R6.5', reason: 'lacp-not-bundled' }], 'nothing leaves by the LAG');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(w.rx('a/nic0') + w.rx('b/nic0'), 0, 'the broadcast the static channel sends into one link is not taken in');
  assert.equal(w.drop(VMNIC0, 'lacp-not-bundled') + w.drop(VMNIC1, 'lacp-not-bundled'), 1, 'it dies at the LAG member: not collecting (802.1AX)');
  const l = loadLabText('s.yaml', lacpLab({ psw: 'on', lag: ACTIVE }));
  assert.ok(l.ok && lint(l.inventory).some((x) => x.code === 'lag-not-on-lacp-channel' && /do not run LACP/.test(x.message)), 'lint names the static channel');
});

test('R6.5, R5.4: an LACP channel toward a static IP-hash team suspends its ports (Catalyst standalone-disable, the default); the host\'s frames are lost at the switch', () => {
  const text = lacpLab({ psw: 'active', lagNics: [], uplinks: ['vmnic0', 'vmnic1'], teaming: '{ policy: ip-hash }' });
  const { net, inv } = lab(text);
  assert.deepEqual(states(net, 'pswitch:psw'), ['suspended', 'suspended']);
  assert.match(lacpOf(net, 'pswitch:psw')[0]!.members[0]!.reason!, /esx1\/vmnic0 is not a LAG port/);
  const drops = traceDrops(net, 'a', 'h');
  assert.ok(drops.length > 0 && drops.every((d) => d.device === 'pswitch:psw' && d.rule === 'R6.5' && d.reason === 'lacp-suspended'), 'the ARP requests die as they enter the switch');
  assert.ok(drops.every((d) => ['switchport:psw/p1', 'switchport:psw/p2'].includes(d.port)), 'on the channel members');
  assert.deepEqual(lint(inv).filter((x) => x.code === 'lacp-channel-without-lag').map((x) => x.path), [
    ['network', 'switches', 0, 'ports', 'p1', 'channelMode'], ['network', 'switches', 0, 'ports', 'p2', 'channelMode'],
  ]);
  // The same team against a static channel works (R5.4), and lint is quiet about LACP.
  const ok = lab(lacpLab({ psw: 'on', lagNics: [], uplinks: ['vmnic0', 'vmnic1'], teaming: '{ policy: ip-hash }' }));
  assert.equal(pingOk(ok.net, 'a', 'h'), 2);
  assert.equal(lint(ok.inv).filter((x) => x.code.startsWith('lacp') || x.code.startsWith('lag')).length, 0);
});

test('R6.5: a LAG member cabled to another switch stays out (one partner system and key per aggregator); the other carries everything', () => {
  const { net, inv } = lab(lacpLab({ psw: 'active', lag: ACTIVE, crossCabled: true }));
  const [lag] = lacpOf(net, DVS);
  assert.deepEqual(states(net), ['bundled', 'individual']);
  assert.match(lag!.members[1]!.reason!, /its partner psw2 po1 .* is not the one lag1 bundles with, psw po1/);
  assert.deepEqual(states(net, 'pswitch:psw2'), ['suspended'], 'psw2 hears the LAG, but the LAG did not select it: no sync, no bundle');
  assert.match(lacpOf(net, 'pswitch:psw2')[0]!.members[0]!.reason!, /bundles with psw po1 .* instead/);
  const w = watch(net);
  for (let i = 0; i < 32; i++) send(net, 'a/nic0', udp(10_000 + i));
  assert.deepEqual([w.tx(VMNIC0), w.tx(VMNIC1)], [32, 0], 'every frame leaves by the bundled member');
  assert.equal(pingOk(net, 'a', 'h'), 2);
  assert.ok(lint(inv).some((x) => x.code === 'lag-not-on-lacp-channel' && /spans several switches or channels/.test(x.message)), 'lint names the split LAG');
});

// ---- the data plane ---------------------------------------------------------------------------

test('R6.5: a bundled LAG spreads a VM\'s flows over its members by the LAG\'s hash (srcDestIpTcpUdpPortVlan); the switch learns the VM on the channel, no flapping (R5.4)', () => {
  const { net } = lab(lacpLab({ psw: 'active', lag: ACTIVE }));
  const w = watch(net);
  for (let i = 0; i < 64; i++) send(net, 'a/nic0', udp(20_000 + i));
  const [t0, t1] = [w.tx(VMNIC0), w.tx(VMNIC1)];
  assert.equal(t0 + t1, 64);
  assert.ok(t0 >= 16 && t1 >= 16, `both members carry flows (${t0} / ${t1})`);
  assert.equal(w.tx(VMNIC2), 0, 'the standalone uplink is unused by PG');
  assert.equal(w.rx('h/eth0'), 64);
  // Per flow, always the same member: the same frame again leaves where it left before.
  const again = watch(net);
  for (let i = 0; i < 8; i++) send(net, 'a/nic0', udp(20_001));
  assert.ok([again.tx(VMNIC0), again.tx(VMNIC1)].sort().join() === '0,8', 'one flow, one member');
  const sw = net.switches.get('pswitch:psw') as unknown as { fdb: { entries(): Array<{ mac: number; port: { id: string } }> } };
  assert.deepEqual(sw.fdb.entries().filter((e) => e.mac === m('a')).map((e) => e.port.id), ['channel:psw/po1'], 'learned on the channel (R5.4)');
  // srcMac: one VM, one member, whatever the flow.
  const bySrc = lab(lacpLab({ psw: 'active', lag: `${ACTIVE}, loadBalancing: srcMac` }));
  const v = watch(bySrc.net);
  for (let i = 0; i < 32; i++) send(bySrc.net, 'a/nic0', udp(20_000 + i));
  assert.deepEqual([v.tx(VMNIC0), v.tx(VMNIC1)].sort((x, y) => x - y), [0, 32]);
});

test('R6.5, R1.12: broadcast from the physical side arrives on one member (the channel sends one copy) and every VM on the LAG takes it once', () => {
  const { net } = lab(lacpLab({ psw: 'active', lag: ACTIVE, vms: ['a', 'b', 'c', 'd'].map((x, i) => vm(x, 'PG', `ip: 10.0.0.${i + 1}/24`)) }));
  const w = watch(net);
  const [f] = record(net, () => send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC)));
  assert.equal(w.rx(VMNIC0) + w.rx(VMNIC1), 1, 'one copy into the channel');
  assert.deepEqual(['a', 'b', 'c', 'd'].map((x) => w.rx(`${x}/nic0`)), [1, 1, 1, 1], 'each VM takes it, whichever member it came by');
  assert.equal(f!.hops.filter((h) => h.reason === 'duplicate-suppressed').length, 0);
  assert.equal(w.rx(VMNIC2), 1, 'the standalone uplink gets its own copy …');
  assert.equal(w.rx('a/nic0'), 1, '… which no LAG port takes (R1.12 [L]: not its uplink)');
});

test('R6.5: trace through a LAG names the member its hash chose (rule R6.5, the LAG port)', () => {
  const { net } = lab(lacpLab({ psw: 'active', lag: ACTIVE }));
  const r = trace(net, endpoint(net, 'a'), targetIp(net, 'h'));
  assert.ok(r.delivered, 'the echo reply comes back');
  const hop = r.frames.flatMap((f) => f.hops).find((h) => h.device === DVS && h.action === 'forward')!;
  assert.ok([VMNIC0, VMNIC1].includes(hop.port), 'a LAG member');
  assert.equal(hop.rule, 'R6.5');
  assert.equal(hop.reason, hop.port === VMNIC0 ? 'lag1-0' : 'lag1-1');
});

// ---- link changes -----------------------------------------------------------------------------

test('R6.5, R5.10: a member\'s link going down takes it out of the bundle at once — no RARP for ports that stay on the LAG ("not for LAGs"); link up bundles it again after Aggregate_Wait_Time, 2 s (802.3ad §43.4.4)', () => {
  const { net } = lab(lacpLab({ psw: 'active', lag: ACTIVE }));
  const w = watch(net);
  const moved = changeLink(net, portOf(net, VMNIC0), false);
  assert.deepEqual(moved, [], 'no port moved: they stay on lag1');
  assert.equal(w.tx(VMNIC1), 0, 'no RARP on the surviving member (R5.10 item 1)');
  advance(net, 1000);
  assert.equal(w.tx(VMNIC1), 0);
  assert.deepEqual(states(net), ['down', 'bundled']);
  assert.deepEqual(states(net, 'pswitch:psw'), ['down', 'bundled']);
  assert.deepEqual(net.events.filter((e) => e.type === 'lacp.unbundled').map((e) => [e.object, (e.data as { reason: string }).reason]), [[VMNIC0, 'link down'], ['switchport:psw/p1', 'link down']]);
  const during = watch(net);
  for (let i = 0; i < 32; i++) send(net, 'a/nic0', udp(30_000 + i));
  assert.deepEqual([during.tx(VMNIC0), during.tx(VMNIC1)], [0, 32], 'every flow on the surviving member');
  assert.equal(pingOk(net, 'a', 'h'), 2);

  // Back up: LACPDUs go out at once, the member bundles 2 s later — not before.
  const seen: Uint8Array[] = [];
  portOf(net, VMNIC0).capture = (_t, frame) => { if (isSlowProtocolsAt(frame)) seen.push(frame.slice()); };
  const t = net.fabric.now;
  changeLink(net, portOf(net, VMNIC0), true);
  assert.deepEqual(states(net), ['negotiating', 'bundled']);
  assert.equal(lacpOf(net, DVS)[0]!.members[0]!.bundlesInS, AGGREGATE_WAIT_MS / 1000);
  advance(net, AGGREGATE_WAIT_MS - 100);
  const early = watch(net);
  for (let i = 0; i < 32; i++) send(net, 'a/nic0', udp(30_000 + i));
  assert.equal(early.tx(VMNIC0), 0, 'still negotiating at +1.9 s: nothing on it');
  advance(net, 100);
  assert.deepEqual(states(net), ['bundled', 'bundled']);
  const after = watch(net);
  for (let i = 0; i < 32; i++) send(net, 'a/nic0', udp(30_000 + i));
  assert.ok(after.tx(VMNIC0) > 0 && after.tx(VMNIC1) > 0, 'flows spread over both again');
  const bundled = net.events.filter((e) => e.type === 'lacp.bundled');
  assert.deepEqual(bundled.map((e) => [e.t, e.object]), [[t + AGGREGATE_WAIT_MS, VMNIC0], [t + AGGREGATE_WAIT_MS, 'switchport:psw/p1']]);
  assert.match(bundled[0]!.message, /esx1\/vmnic0 \(lag1-0\) bundled into LAG lag1 on dvs@esx1 with psw\/p1 of psw po1/);
  // The exchange, as a capture on vmnic0 sees it: ESXi's first LACPDU, the switch's, then both in sync.
  const pdus = seen.map((f) => parseLacpdu(f)!);
  assert.equal(pdus.length, 4);
  assert.equal(pdus[0]!.actor.system, macToNumber('00:10:00:00:00:00'));
  assert.equal(pdus[0]!.actor.state & LACP_ACTIVITY, LACP_ACTIVITY);
  assert.equal(pdus[1]!.actor.system, switchMac('psw'));
  assert.ok(pdus.slice(2).every((p) => (p.actor.state & (LACP_SYNC | LACP_DISTRIBUTING)) === (LACP_SYNC | LACP_DISTRIBUTING) && p.partner.system !== 0), 'both in sync, collecting and distributing, each naming its partner');
});

test('R6.5, R5.7, R5.10, R5.11: a LAG with no member bundled is down for teaming — ports fail over to a standby uplink (RARP) and back once a member bundles again', () => {
  const text = lacpLab({ psw: 'active', lag: ACTIVE, teaming: '{ active: [lag1], standby: [uplink1] }' });
  const { net, inv } = lab(text);
  assert.ok(lint(inv).some((x) => x.code === 'lag-teaming-migration' && /active LAG with standby uplinks/.test(x.message)), 'vSphere supports it only while migrating');
  const w = watch(net);
  changeLink(net, portOf(net, VMNIC0), false);
  const moved = changeLink(net, portOf(net, VMNIC1), false);
  assert.deepEqual(moved.sort(), ['dvswitch:dvs@esx1[vnic:a/0]', 'dvswitch:dvs@esx1[vnic:b/0]']);
  advance(net, 1000);
  assert.equal(w.tx(VMNIC2), 10, 'about 5 RARPs per VM on the standby (R5.10)');
  assert.equal(pingOk(net, 'a', 'h'), 2, 'traffic runs on the standby uplink');
  changeLink(net, portOf(net, VMNIC1), true);
  advance(net, AGGREGATE_WAIT_MS + 1000);
  const back = net.events.filter((e) => e.type === 'teaming.failover' && /moved to LAG lag1/.test(e.message));
  assert.deepEqual(back.map((e) => e.object).sort(), ['dvswitch:dvs@esx1[vnic:a/0]', 'dvswitch:dvs@esx1[vnic:b/0]'], 'failback onto the LAG once vmnic1 bundled (R5.11)');
  const v = watch(net);
  for (let i = 0; i < 8; i++) send(net, 'a/nic0', udp(40_000 + i));
  assert.deepEqual([v.tx(VMNIC1), v.tx(VMNIC2)], [8, 0]);
  // Passive against passive never bundles: the standby carries the traffic from the start.
  const pp = lab(lacpLab({ psw: 'passive', teaming: '{ active: [lag1], standby: [uplink1] }' }));
  assert.equal(pingOk(pp.net, 'a', 'h'), 2);
  assert.equal(vswitch(pp.net, DVS).selectUplink(vswitch(pp.net, DVS).vports[0]!)!.id, VMNIC2);
});

// ---- carried between commands -----------------------------------------------------------------

test('R6.5: a negotiation under way is saved with the network state and completes in a later command; advance knows it must run the network', () => {
  const text = lacpLab({ psw: 'active', lag: ACTIVE });
  const l = loadLabText('s.yaml', text);
  assert.ok(l.ok, 'the lab resolves');
  const inv = l.inventory;
  const one = network(inv, { now: 10_000 });
  changeLink(one, portOf(one, VMNIC0), false);
  changeLink(one, portOf(one, VMNIC0), true);
  advance(one, 500);
  const saved = snapshot(one, {});
  assert.deepEqual(saved.lacp!.members[VMNIC0], ['negotiating', 12_000]);
  assert.equal(saved.lacp!.pending, true);
  const spec = JSON.stringify(l.spec);
  assert.equal(lacpNeedsTime(spec, () => saved), true, 'advance must run the network');
  assert.equal(lacpNeedsTime(JSON.stringify({ distributedSwitches: [] }), () => assert.fail('the saved state was read')), false, 'labs without LACP pay a substring search');
  // The next command, before the wait is over: still negotiating …
  const two = network(inv, { state: saved, now: 11_000 });
  assert.deepEqual(states(two), ['negotiating', 'bundled']);
  advance(two, 1000);
  assert.deepEqual(states(two), ['bundled', 'bundled'], '… and bundled at 12 s');
  assert.equal(snapshot(two, {}).lacp!.pending, undefined);
  // A command that starts after the wait is over finds it bundled at once.
  const three = network(inv, { state: saved, now: 60_000 });
  assert.deepEqual(states(three), ['bundled', 'bundled']);
  assert.deepEqual(three.events.filter((e) => e.type === 'lacp.bundled').map((e) => e.t), [12_000, 12_000]);
});

// ---- the lab file -----------------------------------------------------------------------------

test('R6.5: the resolver refuses what vSphere refuses, with codes and hints', () => {
  const errors = (text: string) => {
    const r = loadLabText('s.yaml', text);
    return r.ok ? [] : r.errors.map((e) => ({ code: e.code, path: e.path, message: e.message, hint: e.hint }));
  };
  const base = { psw: 'active' as const, lag: ACTIVE };
  assert.deepEqual(errors(lacpLab(base)), []);
  // Enhanced LACP: vDS 5.5.0 or later (multiLacpGroupSupported); fast LACP: 7.0.0 or later.
  assert.deepEqual(errors(lacpLab({ ...base, version: '5.1.0' })).map((e) => [e.code, e.path]), [['lag-needs-vds-5.5', 'distributedSwitches[0].version']]);
  assert.deepEqual(errors(lacpLab({ ...base, version: '6.6.0', lag: 'timeout: fast' })).map((e) => e.code), ['lag-fast-needs-vds-7.0']);
  // One vmnic per LAG port.
  const tooMany = errors(lacpLab({ ...base, lag: 'ports: 2', lagNics: ['vmnic0', 'vmnic1', 'vmnic2'], uplinks: [] }));
  assert.deepEqual(tooMany.map((e) => [e.code, e.path]), [['lag-too-many-uplinks', 'distributedSwitches[0].members[0].lags.lag1']]);
  assert.match(tooMany[0]!.hint!, /ports: 3/);
  // Beacon probing: LACP checks the LAG ports itself.
  assert.deepEqual(errors(lacpLab({ ...base, teaming: '{ active: [lag1], detection: beacon }' })).map((e) => e.code), ['lag-with-beacon-probing']);
  // One active LAG, alone.
  assert.deepEqual(errors(lacpLab({ ...base, teaming: '{ active: [lag1, uplink1] }' })).map((e) => [e.code, e.path]), [['lag-mixed-active', 'distributedSwitches[0].portgroups[0].teaming.active']]);
  // A vmnic is a standalone uplink or a LAG port.
  assert.deepEqual(errors(lacpLab({ ...base, uplinks: ['vmnic0'] })).map((e) => e.code), ['uplink-in-use']);
  // An unknown LAG, an unknown LAG in teaming.
  assert.deepEqual(errors(lacpLab(base).replace('lags: { lag1:', 'lags: { lag2:')).map((e) => e.code), ['unknown-reference']);
  assert.deepEqual(errors(lacpLab({ ...base, teaming: '{ active: [lag9] }' })).map((e) => e.code), ['unknown-reference']);
  // LAGs on a standard vSwitch: not available.
  const vss = errors(lacpLab(base).replace('      - { name: vmnic2, mac', '    switches: [{ name: vSwitch0, uplinks: [], lags: [{ name: lag1 }] }]\n      - { name: vmnic2, mac').replace(/(\n {4}switches: \[.*\])\n( {6}- \{ name: vmnic2.*)/, '\n$2$1'));
  assert.deepEqual(vss.map((e) => [e.code, e.path]), [['lag-needs-vds', 'hosts[0].switches[0].lags']]);
  // Physical side: LACP and mode on do not mix in one channel; channelMode needs a channel.
  assert.deepEqual(errors(lacpLab({ ...base, ports: ['p5: { mode: trunk, channel: po1 }'] })).map((e) => [e.code, e.path]), [['channel-mode-mismatch', 'network.switches[0].ports.p5.channelMode']]);
  assert.deepEqual(errors(lacpLab({ ...base, ports: ['p5: { mode: trunk, channelMode: active }'] })).map((e) => e.code), ['not-applicable']);
  // Schema: the vSphere names and ranges.
  const bad = errors(lacpLab({ ...base, lag: 'loadBalancing: roundRobin' }));
  assert.ok(bad.length === 1 && JSON.stringify(bad).includes('srcDestIpTcpUdpPortVlan'), `the schema lists the modes: ${JSON.stringify(bad)}`);
  assert.equal(errors(lacpLab({ ...base, lag: 'ports: 1' })).length, 1);
  assert.equal(errors(lacpLab({ ...base, psw: undefined }).replace('p1: { mode: trunk }', 'p1: { mode: trunk, channel: po1, channelMode: desirable }')).length, 1, 'PAgP is not modelled');
});

test('R6.5: extensions with safe defaults — a channel without channelMode is today\'s static EtherChannel, a vDS without lags is unchanged, a new LAG is unused by default', () => {
  const l = loadLabText('s.yaml', lacpLab({ psw: 'on', lag: ACTIVE, teaming: '{ policy: port-id }' }));
  assert.ok(l.ok, 'the lab resolves');
  const p1 = l.inventory.pswitches.get('psw')!.ports.get('p1')!;
  assert.equal('channelMode' in p1, false, 'mode on is stored as nothing: existing labs keep their records');
  const dvs = l.inventory.dvswitches.get('dvs')!;
  assert.deepEqual(dvs.lags, [{ name: 'lag1', ports: 2, mode: 'active', loadBalancing: 'srcDestIpTcpUdpPortVlan', timeout: 'slow' }]);
  assert.deepEqual(dvs.members, [{ host: 'esx1', uplinks: ['vmnic2'], lags: { lag1: ['vmnic0', 'vmnic1'] } }]);
  assert.deepEqual([dvs.teaming.active, dvs.teaming.unused], [['uplink1'], ['lag1']], '"The new LAG is unused in the teaming and failover order"');
  const plain = loadLabText('s.yaml', lacpLab({ psw: 'on', lag: ACTIVE }).replace(/ {4}lags: \[.*\]\n/, '').replace(', lags: { lag1: [vmnic0, vmnic1] }', '').replace('teaming: { active: [lag1] }', 'teaming: { policy: port-id }'));
  assert.ok(plain.ok, 'the lab resolves');
  const d = plain.inventory.dvswitches.get('dvs')!;
  assert.equal('lags' in d, false);
  assert.equal('lags' in d.members[0]!, false);
  assert.deepEqual(d.teaming.unused, []);
  const { net } = lab(lacpLab({ psw: 'on', lagNics: [], uplinks: ['vmnic0', 'vmnic1'], teaming: '{ policy: ip-hash }' }).replace(/ {4}lags: \[.*\]\n/, '').replace(', lags: { lag1: [] }', ''));
  assert.equal(net.lacp, undefined, 'no LAG, no LACP channel: no LACP at all');
});

test('R6.5: lint — LACP on a nested ESXi host is not possible ("Running LACP inside any guest OS … is not supported", KB 315347)', () => {
  const text = `
lab: nested-lacp
vcenter: external
hosts:
  - name: l0
    cpu: xeon-gold-6130
    memory: 256GB
    switches: [{ name: vSwitch0, portgroups: [{ name: Nest, security: { promiscuous: accept, forgedTransmits: accept } }] }]
distributedSwitches:
  - name: dvs
    lags: [{ name: lag1, mode: active }]
    members: [{ host: n1, lags: { lag1: [vmnic0, vmnic1] } }]
    portgroups: [{ name: PG, teaming: { active: [lag1] } }]
vms:
  - name: n1
    host: l0
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Nest }, { network: Nest }]
    nested: { hypervisor: esxi }
  - { name: v, host: n1, cpus: 1, memory: 1GB, nics: [{ network: PG, ip: 10.0.0.5/24 }] }
`;
  const { net, inv } = lab(text);
  const f = lint(inv).filter((x) => x.code === 'lag-on-nested-host');
  assert.deepEqual(f.map((x) => x.path), [['distributedSwitches', 0, 'members', 0, 'lags', 'lag1']]);
  const [lag] = lacpOf(net, 'dvswitch:dvs@n1');
  assert.deepEqual(lag!.members.map((x) => x.state), ['individual', 'individual']);
  assert.match(lag!.members[0]!.reason!, /a virtual switch: LACP between nested ESXi hosts is not possible/);
});

test('R6.5, R5.7: lint — a port group teams on a LAG a member host assigned no vmnic to ("No physical NICs are assigned to the LAG ports"): there it carries nothing', () => {
  const { net, inv } = lab(lacpLab({ psw: 'active', lag: ACTIVE, lagNics: [] }));
  const f = lint(inv).filter((x) => x.code === 'lag-without-uplinks');
  assert.deepEqual(f.map((x) => x.path), [['distributedSwitches', 0, 'portgroups', 0, 'teaming']]);
  assert.match(f[0]!.message, /esx1 has no vmnic on its ports/);
  assert.deepEqual(lacpOf(net, DVS)[0]!.members, []);
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), m('h')));
  assert.equal(w.drop('dvswitch:dvs@esx1[vnic:a/0]', 'lacp-not-bundled'), 1);
  assert.deepEqual(lint(lab(lacpLab({ psw: 'active', lag: ACTIVE })).inv).filter((x) => x.code === 'lag-without-uplinks'), []);
});

// ---- the CLI ----------------------------------------------------------------------------------

test('R6.5 end to end: show dvs / psw / esx1, link down and up, events, advance 2s, trace — state carried from command to command', () => {
  const dir = tempDir();
  const file = join(dir, 'lacp.yaml');
  writeFileSync(file, lacpLab({ psw: 'active', lag: ACTIVE }));
  const s = ['--state', join(dir, 'state'), '--json'];
  assert.equal(nestlabSrc(['up', file, ...s]).code, 0);
  const dvs = nestlabSrc(['show', 'dvs', ...s]).json();
  assert.deepEqual(dvs.lags, [{ name: 'lag1', ports: 2, mode: 'active', loadBalancing: 'srcDestIpTcpUdpPortVlan', timeout: 'slow' }]);
  assert.deepEqual(dvs.lacp.esx1[0].members.map((x: { state: string }) => x.state), ['bundled', 'bundled']);
  const psw = nestlabSrc(['show', 'psw', ...s]).json();
  assert.equal(psw.lacp.channels[0].name, 'po1');
  assert.equal(psw.lacp.channels[0].partner, '32768,00:10:00:00:00:00');
  const p1 = psw.ports.find((p: { name: string }) => p.name === 'p1');
  assert.deepEqual([p1.channel, p1.channelMode, p1.lacp.state, p1.lacp.partner.port], ['po1', 'active', 'bundled', 'esx1/vmnic0']);
  assert.equal(nestlabSrc(['link', 'down', 'esx1/vmnic0', ...s]).code, 0);
  const host = nestlabSrc(['show', 'esx1', ...s]).json();
  assert.deepEqual(host.lacp[0].lags[0].members.map((x: { state: string }) => x.state), ['down', 'bundled']);
  assert.equal(nestlabSrc(['ping', 'a', 'h', '--count', '2', ...s]).json().received, 2, 'the LAG carries on with one member');
  assert.equal(nestlabSrc(['link', 'up', 'esx1/vmnic0', ...s]).code, 0);
  // link up ran the network for 1 s: still negotiating, bundled in about 1 s more.
  const negotiating = nestlabSrc(['show', 'dvs', ...s]).json().lacp.esx1[0].members[0];
  assert.equal(negotiating.state, 'negotiating');
  assert.equal(negotiating.bundlesInS, 1);
  assert.equal(nestlabSrc(['advance', '2s', ...s]).code, 0);
  assert.deepEqual(nestlabSrc(['show', 'dvs', ...s]).json().lacp.esx1[0].members.map((x: { state: string }) => x.state), ['bundled', 'bundled'], 'advance ran the network: the member bundled');
  const events = nestlabSrc(['events', '--type', 'lacp.', ...s]).json().events as Array<{ type: string; object: string }>;
  assert.deepEqual(events.map((e) => [e.type, e.object]), [
    ['lacp.unbundled', VMNIC0], ['lacp.unbundled', 'switchport:psw/p1'], ['lacp.bundled', VMNIC0], ['lacp.bundled', 'switchport:psw/p1'],
  ]);
  const tr = nestlabSrc(['trace', 'a', 'h', ...s]).json();
  assert.equal(tr.delivered, true);
  const hop = tr.frames.flatMap((f: { hops: Array<{ device: string; action: string; rule: string; reason: string }> }) => f.hops).find((h: { device: string; action: string }) => h.device === DVS && h.action === 'forward');
  assert.equal(hop.rule, 'R6.5');
  assert.match(hop.reason, /^lag1-[01]$/);
  const text = nestlabSrc(['show', 'psw', '--state', join(dir, 'state')]).stdout;
  assert.match(text, /bundled/, 'the text rendering shows the members\' states');
  // Validate warns about a passive–passive pair.
  writeFileSync(file, lacpLab({ psw: 'passive' }));
  assert.ok(JSON.stringify(nestlabSrc(['validate', file, '--json']).json()).includes('lag-not-on-lacp-channel'), 'validate warns');
});
