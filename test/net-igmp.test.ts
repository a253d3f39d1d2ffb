// IGMP snooping (spec/network.md R1.7 "vDS 6.0+ optionally does IGMP/MLD snooping", R6.5, R9.3
// "multicast likewise unless IGMP snooping", R8.3): the IGMP codec; a vDS in basic vs snooping
// mode (over-delivery of groups sharing a MAC gone, IGMPv3 sources, leave, its own querier,
// ageing); a physical switch with and without snooping (members, mrouter ports learned from a
// querier or configured, reports to mrouter ports only, unknown groups flooded, ageing); a Linux
// bridge that snoops only while a querier is heard; a nested ESXi whose VMs' reports teach the
// outer vDS; state carried between commands; `nestlab groups` (--json and table); lab-file
// checks and lint; malformed IGMP never throws. Modelling choices the spec leaves open are
// marked [L] where they are pinned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  ALLOW_NEW_SOURCES, BLOCK_OLD_SOURCES, CHANGE_TO_EXCLUDE, ETHERTYPE_IPV4, IP_PROTO_UDP, MODE_IS_EXCLUDE, MODE_IS_INCLUDE,
  buildEthernet, buildIpv4, buildUdp, decodeIgmpCode, describeFrame, groupMac, igmpLeaveFrame, igmpQueryFrame, igmpReportFrame,
  igmpV3ReportFrame, ipToNumber, macToNumber, parseIgmp, parseIpv4, type GroupRecord,
} from '../src/net/codec/index.js';
import { changeLink } from '../src/net/links.js';
import { snapshot } from '../src/net/state.js';
import type { Network } from '../src/net/topology.js';
import { groupsView } from '../src/net/igmp-state.js';
import { linkUp } from '../src/net/igmp-host.js';
import { loadLabText } from '../src/plan/load.js';
import { DROP_BASE, REASON_INDEX } from '../src/net/reasons.js';
import { nestlabSrcSession, tempDir } from './helpers.js';
import { MAC, advance, dropAt, l0Host, lab, nestedKvm, network, portOf, record, send, vm, watch } from './net-helpers.js';

// ---- frames ----------------------------------------------------------------------------------

const ip = ipToNumber;
const MALFORMED = DROP_BASE + REASON_INDEX.malformed;

/** IPv4 UDP group traffic from `src` (MAC) / `srcIp` to `group`. */
function data(src: number, srcIp: string, group: string): Uint8Array {
  const g = ip(group);
  const udp = buildUdp({ srcPort: 5000, dstPort: 5000, payload: new Uint8Array(20), srcIp: ip(srcIp), dstIp: g });
  return buildEthernet({ dst: groupMac(g), src, etherType: ETHERTYPE_IPV4, payload: buildIpv4({ src: ip(srcIp), dst: g, protocol: IP_PROTO_UDP, ttl: 8, payload: udp }) });
}

const IP: Record<string, string> = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4', h: '10.0.0.100', h2: '10.0.0.102', h3: '10.0.0.103', r: '10.0.0.254', s: '10.0.0.250' };
/** The scenario MACs, with this file's stations h3, r (the multicast router) and s. */
const MACS: Record<string, string> = { ...MAC, h3: '02:00:00:00:00:14', r: '02:00:00:00:00:fe', s: '02:00:00:00:00:fa' };
const m = (name: string): number => macToNumber(MACS[name] ?? name);

/** `who` (a guest interface name like d/nic0, or a station NIC h/eth0) sends group traffic. */
function sendData(net: Network, who: string, group: string): void {
  const name = who.split('/')[0]!;
  send(net, who, data(m(name), IP[name]!, group));
}

function v2report(net: Network, who: string, group: string): void {
  const name = who.split('/')[0]!;
  send(net, who, igmpReportFrame(m(name), ip(IP[name]!), ip(group), 2));
}

function v3report(net: Network, who: string, records: GroupRecord[]): void {
  const name = who.split('/')[0]!;
  send(net, who, igmpV3ReportFrame(m(name), ip(IP[name]!), records));
}

// ---- labs ------------------------------------------------------------------------------------

interface VdsLab {
  mode?: 'basic' | 'snooping';
  version?: string;
  /** the physical switch snoops too */
  pswSnooping?: boolean;
  /** station r on psw/p20 is the IGMP querier */
  querier?: boolean;
}

const S = 'dvswitch:dvs@esx1';
const UPLINK = 'nic:esx1/vmnic0';
const PORT = (v: string) => `${S}[vnic:${v}/0]`;

/**
 * psw: p1 → esx1 vmnic0 (the vDS uplink), stations h (p10, sends), h2 (p11, joined 239.1.1.1),
 * h3 (p12, joined nothing), r (p20, a multicast router — the querier when asked). On the vDS's
 * port group X: VMs a (sends), b (joined 239.1.1.1), c (joined 224.129.1.1: the same MAC,
 * 01:00:5e:01:01:01), d (joined nothing).
 */
function vdsLab(o: VdsLab = {}): string {
  return `
lab: igmp
network:
  switches:
    - name: psw
      igmpSnooping: ${o.pswSnooping ?? false}
      ports:
        p1: { mode: trunk }
        p10: { mode: access, vlan: 1 }
        p11: { mode: access, vlan: 1 }
        p12: { mode: access, vlan: 1 }
        p20: { mode: access, vlan: 1 }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MACS.h}', ip: ${IP.h}/24, connect: psw/p10 }] }
    - { name: h2, nics: [{ name: eth0, mac: '${MACS.h2}', ip: ${IP.h2}/24, connect: psw/p11, multicast: ['239.1.1.1'] }] }
    - { name: h3, nics: [{ name: eth0, mac: '${MACS.h3}', ip: ${IP.h3}/24, connect: psw/p12 }] }
    - { name: r, router: true, igmpQuerier: ${o.querier ?? false}, nics: [{ name: eth0, mac: '${MACS.r}', ip: ${IP.r}/24, connect: psw/p20 }] }
vcenter: external
distributedSwitches:
  - name: dvs
    version: '${o.version ?? '6.0.0'}'
    multicastFiltering: ${o.mode ?? 'snooping'}
    members: [{ host: esx1, uplinks: [vmnic0] }]
    portgroups: [{ name: X }]
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 64GB
    nics: [{ name: vmnic0, mac: '00:10:00:00:00:00', connect: psw/p1 }]
vms:
${vm('a', 'X', `ip: ${IP.a}/24`)}
${vm('b', 'X', `ip: ${IP.b}/24, multicast: ['239.1.1.1']`)}
${vm('c', 'X', `ip: ${IP.c}/24, multicast: ['224.129.1.1']`)}
${vm('d', 'X', `ip: ${IP.d}/24`)}
`;
}

/** Stations only: psw (snooping or not) with h (p10), h2 (p11, joined 239.1.1.1), h3 (p12), r (p20, querier or not), s (p21, `mrouter` or not). */
function stationLab(o: { snooping: boolean; querier?: boolean; mrouter?: boolean }): string {
  return `
lab: psw-igmp
network:
  switches:
    - name: psw
      igmpSnooping: ${o.snooping}
      ports:
        p10: { mode: access, vlan: 1 }
        p11: { mode: access, vlan: 1 }
        p12: { mode: access, vlan: 1 }
        p20: { mode: access, vlan: 1 }
        p21: { mode: access, vlan: 1${o.mrouter ? ', mrouter: true' : ''} }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MACS.h}', ip: ${IP.h}/24, connect: psw/p10 }] }
    - { name: h2, nics: [{ name: eth0, mac: '${MACS.h2}', ip: ${IP.h2}/24, connect: psw/p11, multicast: ['239.1.1.1'] }] }
    - { name: h3, nics: [{ name: eth0, mac: '${MACS.h3}', ip: ${IP.h3}/24, connect: psw/p12 }] }
    - { name: r, router: true, igmpQuerier: ${o.querier ?? false}, nics: [{ name: eth0, mac: '${MACS.r}', ip: ${IP.r}/24, connect: psw/p20 }] }
    - { name: s, nics: [{ name: eth0, mac: '${MACS.s}', ip: ${IP.s}/24, connect: psw/p21 }] }
vms: []
`;
}

const P = (p: string) => `switchport:psw/${p}`;

// ================================================================================================
// The codec
// ================================================================================================

test('IGMP codec: v2 report / leave, v3 report, v2 and v3 queries round-trip; Router Alert, TTL 1, group MACs (RFC 2236, 3376, 2113, 1112)', () => {
  const src = m('b');
  const r2 = igmpReportFrame(src, ip('10.0.0.2'), ip('239.1.1.1'));
  const ipv4 = parseIpv4(r2, 14)!;
  assert.deepEqual([ipv4.headerLength, ipv4.ttl, ipv4.protocol, ipv4.checksumOk], [24, 1, 2, true], 'IHL 6 (Router Alert), TTL 1, protocol 2');
  assert.deepEqual([...r2.subarray(34, 38)], [0x94, 0x04, 0, 0], 'RFC 2113 Router Alert option');
  assert.equal(ipv4.dst, ip('239.1.1.1'), 'a v2 report goes to the group itself');
  assert.deepEqual([...r2.subarray(0, 6)], [0x01, 0x00, 0x5e, 0x01, 0x01, 0x01], '01:00:5e + low 23 bits (RFC 1112 §6.4)');
  const at = (f: Uint8Array) => { const p = parseIpv4(f, 14)!; return parseIgmp(f, p.payloadOffset, p.payloadOffset + p.payloadLength); };
  assert.deepEqual(at(r2), { kind: 'report', version: 2, group: ip('239.1.1.1') });
  assert.deepEqual(at(igmpReportFrame(src, 0, ip('239.1.1.1'), 1)), { kind: 'report', version: 1, group: ip('239.1.1.1') });
  const leave = igmpLeaveFrame(src, ip('10.0.0.2'), ip('239.1.1.1'));
  assert.equal(parseIpv4(leave, 14)!.dst, ip('224.0.0.2'), 'a leave goes to all routers');
  assert.deepEqual(at(leave), { kind: 'leave', group: ip('239.1.1.1') });
  const records: GroupRecord[] = [{ type: CHANGE_TO_EXCLUDE, group: ip('239.1.1.1'), sources: [] }, { type: MODE_IS_INCLUDE, group: ip('232.1.1.1'), sources: [ip('10.0.0.100'), ip('10.0.0.103')] }];
  const r3 = igmpV3ReportFrame(src, ip('10.0.0.2'), records);
  assert.equal(parseIpv4(r3, 14)!.dst, ip('224.0.0.22'), 'a v3 report goes to 224.0.0.22');
  assert.deepEqual(at(r3), { kind: 'report-v3', records });
  const q2 = igmpQueryFrame({ srcMac: m('r'), srcIp: ip('10.0.0.254') });
  assert.deepEqual(at(q2), { kind: 'query', version: 2, group: 0, maxRespMs: 10_000, sources: [] });
  assert.equal(parseIpv4(q2, 14)!.dst, ip('224.0.0.1'), 'a general query goes to all systems');
  assert.deepEqual(at(igmpQueryFrame({ srcMac: 0, srcIp: 0, version: 3, group: ip('239.1.1.1'), maxRespMs: 1000 })), { kind: 'query', version: 3, group: ip('239.1.1.1'), maxRespMs: 1000, sources: [] });
  assert.equal(decodeIgmpCode(0x8f), (0x0f | 0x10) << 3, 'RFC 3376 §4.1.1 exponential max resp code');
  assert.match(describeFrame(r3), /^IGMPv3 report 239\.1\.1\.1, 232\.1\.1\.1 \(2 sources\) 10\.0\.0\.2 > 224\.0\.0\.22$/);
  assert.match(describeFrame(q2), /^IGMPv2 general query 10\.0\.0\.254 > 224\.0\.0\.1$/);
  assert.throws(() => igmpReportFrame(src, 0, ip('10.0.0.1')), RangeError, 'a unicast group is a caller bug');
});

test('IGMP codec: malformed messages are null, never an exception — truncations, bad checksums, unicast groups, records past the end (fuzzed)', () => {
  const good = igmpV3ReportFrame(m('b'), ip('10.0.0.2'), [{ type: MODE_IS_INCLUDE, group: ip('232.1.1.1'), sources: [ip('10.0.0.100')] }]);
  const igmp = good.subarray(38, 38 + 20);
  assert.notEqual(parseIgmp(igmp), null);
  for (let n = 0; n < igmp.length; n++) assert.equal(parseIgmp(igmp.subarray(0, n)), null, `truncated to ${n}`);
  const flipped = igmp.slice();
  flipped[3]! ^= 1;
  assert.equal(parseIgmp(flipped), null, 'bad checksum');
  assert.equal(parseIgmp(igmp, 5, 2), null, 'an inverted window');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(90), fc.nat(90), (bytes, a, b) => {
    parseIgmp(bytes);
    parseIgmp(bytes, a, b);
    return true;
  }), { seed: 0x1a3b, numRuns: 20_000 });
});

// ================================================================================================
// The vDS: basic vs snooping (R1.7, R1.9, R6.5, S40)
// ================================================================================================

test('R1.7, R1.9 (S40): basic filtering forwards by MAC — c, which joined 224.129.1.1, also gets 239.1.1.1; a vDS 6.0.0 in snooping mode forwards by group: only b', () => {
  const got: Record<string, number[]> = {};
  for (const mode of ['basic', 'snooping'] as const) {
    const { net } = lab(vdsLab({ mode }));
    const w = watch(net);
    const local = record(net, () => sendData(net, 'a/nic0', '239.1.1.1'));
    const fromUplink = record(net, () => sendData(net, 'h/eth0', '239.1.1.1'));
    got[mode] = ['b', 'c', 'd'].map((v) => w.rx(`${v}/nic0`));
    assert.equal(w.tx(UPLINK), 1, `${mode}: a's group traffic leaves on the uplink either way (R1.7, R1.13)`);
    const hop = (frames: typeof local, v: string) => frames[0]!.hops.filter((h) => h.port === PORT(v) && h.action !== 'ingress').map((h) => `${h.action} ${h.rule}`);
    if (mode === 'snooping') {
      assert.deepEqual(hop(local, 'b'), ['forward R1.7'], 'the member gets it by group (R1.7 snooping)');
      assert.deepEqual(hop(fromUplink, 'b'), ['forward R1.9']);
      assert.deepEqual(hop(local, 'c'), [], 'c joined another group with the same MAC: nothing');
    } else {
      assert.deepEqual(hop(local, 'c'), ['flood R1.7'], 'basic: by MAC, so c too');
      assert.deepEqual(groupsView(net, S, 0), { switch: S, mode: 'basic', groups: [{ mac: '01:00:5e:01:01:01', ports: [{ port: 'vnic:b/0' }, { port: 'vnic:c/0' }] }], mrouters: [], queriers: [] },
        'the groups view of a basic vDS: one MAC for both groups');
    }
  }
  assert.deepEqual(got, { basic: [2, 2, 0], snooping: [2, 0, 0] }, 'over-delivery of the 32-groups-per-MAC mapping is gone with snooping');
});

test('R1.7 snooping: the vDS learns from the reports its VMs send — d joins with a report and leaves with a leave, at once [L]; reports go up the uplink and to no other VM; malformed IGMP is dropped', () => {
  const { net } = lab(vdsLab());
  const w = watch(net);
  const frames = record(net, () => v2report(net, 'd/nic0', '239.1.1.1'));
  assert.deepEqual(frames[0]!.hops.filter((h) => h.device === S).map((h) => `${h.action} ${h.rule} ${h.reason}`.trim()), ['ingress R3.2', 'learn R1.7 igmp-report', 'forward R1.13'], 'learned, then up the uplink only');
  assert.equal(w.rx('b/nic0'), 0, 'b, a member of 239.1.1.1, does not get d\'s report (RFC 4541: reports to router ports)');
  assert.equal(w.tx(UPLINK), 1);
  sendData(net, 'h/eth0', '239.1.1.1');
  assert.deepEqual(['b', 'd'].map((v) => w.rx(`${v}/nic0`)), [1, 1], 'd is a member now');
  const leave = igmpLeaveFrame(m('d'), ip(IP.d!), ip('239.1.1.1'));
  send(net, 'd/nic0', leave);
  sendData(net, 'h/eth0', '239.1.1.1');
  assert.deepEqual(['b', 'd'].map((v) => w.rx(`${v}/nic0`)), [2, 1], 'the leave took d out at once');
  const bad = v3frameWithBadChecksum();
  const w2 = watch(net);
  send(net, 'd/nic0', bad);
  assert.equal(w2.drop(PORT('d'), 'malformed'), 1, 'malformed IGMP: dropped at the port, counted');
  assert.equal(w2.tx(UPLINK), 0);
});

function v3frameWithBadChecksum(): Uint8Array {
  const f = igmpV3ReportFrame(m('d'), ip(IP.d!), [{ type: CHANGE_TO_EXCLUDE, group: ip('239.3.3.3'), sources: [] }]);
  f[40]! ^= 0xff; // the IGMP checksum
  return f;
}

test('R1.7 snooping, IGMPv3 sources: d takes 232.1.1.1 only from the sources it asked for; past Net.IGMPV3MaxSrcIPNum (10) it takes any source [L: fail-open]', () => {
  const { net } = lab(vdsLab());
  const from = (who: string) => { const w = watch(net); sendData(net, `${who}/eth0`, '232.1.1.1'); return w.rx('d/nic0'); };
  const G = ip('232.1.1.1');
  v3report(net, 'd/nic0', [{ type: MODE_IS_INCLUDE, group: G, sources: [ip(IP.h!)] }]);
  assert.deepEqual([from('h'), from('h3')], [1, 0], 'INCLUDE {h}: h yes, h3 no');
  const view = groupsView(net, S, net.fabric.now).groups.find((g) => g.group === '232.1.1.1')!;
  assert.deepEqual(view.ports, [{ port: 'vnic:d/0', ageSeconds: 0, expiresSeconds: 260, filter: 'include', sources: [IP.h] }]);
  v3report(net, 'd/nic0', [{ type: ALLOW_NEW_SOURCES, group: G, sources: [ip(IP.h3!)] }]);
  assert.deepEqual([from('h'), from('h3')], [1, 1], 'ALLOW {h3}');
  v3report(net, 'd/nic0', [{ type: BLOCK_OLD_SOURCES, group: G, sources: [ip(IP.h!), ip(IP.h3!)] }]);
  assert.deepEqual([from('h'), from('h3')], [0, 0], 'BLOCK of every source: out of the group');
  v3report(net, 'd/nic0', [{ type: MODE_IS_EXCLUDE, group: G, sources: [ip(IP.h3!)] }]);
  assert.deepEqual([from('h'), from('h3')], [1, 0], 'EXCLUDE {h3}');
  const eleven = Array.from({ length: 11 }, (_, i) => ip(`10.0.1.${i + 1}`));
  v3report(net, 'd/nic0', [{ type: MODE_IS_INCLUDE, group: G, sources: eleven }]);
  assert.deepEqual([from('h'), from('h3')], [1, 1], '11 sources > 10: any source [L]');
  v3report(net, 'd/nic0', [{ type: MODE_IS_INCLUDE, group: G, sources: eleven.slice(0, 10) }]);
  assert.deepEqual([from('h'), from('h3')], [0, 0], '10 sources: kept, neither h nor h3 among them');
});

test('R1.7 snooping: the vDS queries its VMs every 125 s (Net.IGMPQueryInterval) while no querier is heard; b answers and stays, a membership nobody renews ages out after 260 s [L]', () => {
  const { net } = lab(vdsLab());
  const w = watch(net);
  v2report(net, 'd/nic0', '239.9.9.9'); // d joined nothing in its configuration: it will not answer queries
  const dGets = () => { const w2 = watch(net); sendData(net, 'h/eth0', '239.9.9.9'); return w2.rx('d/nic0'); };
  const bGets = () => { const w2 = watch(net); sendData(net, 'h/eth0', '239.1.1.1'); return w2.rx('b/nic0'); };
  advance(net, 259_000);
  assert.equal(dGets(), 1, '259 s: still a member');
  assert.equal(w.rx('b/nic0'), 2, 'b got the vDS\'s queries at 125 s and 250 s (and nothing else)');
  assert.equal(w.tx(UPLINK), 1 + 2 + 2, 'd\'s report, then b\'s and c\'s answers to each query, up the uplink (toward the router)');
  advance(net, 2000);
  assert.equal(dGets(), 0, '261 s: d\'s membership aged out');
  advance(net, 339_000);
  assert.equal(bGets(), 1, '600 s: b answered every query — still a member');
  const view = groupsView(net, S, net.fabric.now);
  assert.deepEqual(view.groups.map((g) => g.group), ['239.1.1.1', '224.129.1.1'], 'the view lists live groups only');
  assert.ok(view.groups[0]!.ports[0]!.ageSeconds! < 125, 'refreshed within the last query interval');
  // A querier on the physical network: the vDS keeps quiet [L]; b answers r's IGMPv2 queries with v2 reports.
  const q = lab(vdsLab({ querier: true })).net;
  const wq = watch(q);
  const seen: number[] = [];
  portOf(q, 'b/nic0').capture = (_t, frame) => { if (parseIpv4(frame, 14)?.protocol === 2) seen.push(frame[38]!); };
  advance(q, 600_000);
  assert.deepEqual(seen.filter((t) => t === 0x11).length, 4, 'r\'s queries at 125…500 s (its first went out at start, before the capture)');
  assert.ok(seen.filter((t) => t === 0x16).length >= 4, 'b answers with IGMPv2 reports, in the querier\'s version');
  assert.equal(wq.rx('d/nic0'), 4, 'd got r\'s queries only: the vDS did not query');
});

// ================================================================================================
// Physical switch (R9.3)
// ================================================================================================

test('R9.3: without snooping a physical switch floods group traffic to every port of the VLAN; with igmpSnooping to members only; unknown groups and 224.0.0.x still flood (Catalyst default)', () => {
  const plain = lab(stationLab({ snooping: false })).net;
  const w0 = watch(plain);
  sendData(plain, 'h/eth0', '239.1.1.1');
  assert.deepEqual(['h2', 'h3', 'r', 's'].map((v) => w0.rx(`${v}/eth0`)), [1, 1, 1, 1], 'no snooping: flooded (R9.3)');
  assert.equal(w0.tx('h2/eth0'), 0, 'and nobody speaks IGMP in a lab where nothing listens');

  const { net } = lab(stationLab({ snooping: true }));
  const w = watch(net);
  const frames = record(net, () => sendData(net, 'h/eth0', '239.1.1.1'));
  assert.deepEqual(['h2', 'h3', 'r', 's'].map((v) => w.rx(`${v}/eth0`)), [1, 0, 0, 0], 'h2 reported 239.1.1.1 when it came up');
  assert.deepEqual(frames[0]!.hops.filter((h) => h.device === 'pswitch:psw' && (h.action === 'forward' || h.action === 'flood')).map((h) => `${h.action} ${h.port} ${h.rule}`), [`forward ${P('p11')} R9.3`]);
  sendData(net, 'h/eth0', '239.5.5.5');
  assert.deepEqual(['h2', 'h3', 'r', 's'].map((v) => w.rx(`${v}/eth0`)), [2, 1, 1, 1], 'a group nobody joined floods (unregistered multicast)');
  sendData(net, 'h/eth0', '224.0.0.251');
  assert.deepEqual(['h2', 'h3', 'r', 's'].map((v) => w.rx(`${v}/eth0`)), [3, 2, 2, 2], '224.0.0.x always floods (RFC 4541 §2.1.2)');
  const back = record(net, () => sendData(net, 'h2/eth0', '239.1.1.1'));
  assert.deepEqual(dropAt(back[0], 'pswitch:psw'), { device: 'pswitch:psw', port: P('p11'), rule: 'R9.3', reason: 'no-group-member' }, 'the only member is the sender');
  assert.deepEqual(groupsView(net, 'pswitch:psw', net.fabric.now).groups, [{ vlan: 1, group: '239.1.1.1', ports: [{ port: P('p11'), ageSeconds: 0, expiresSeconds: 260 }] }]);
});

test('R9.3 snooping: reports go to multicast-router ports only — learned from a querier\'s queries, or configured (mrouter: true); with none they are dropped (no-mrouter-port)', () => {
  const none = lab(stationLab({ snooping: true })).net;
  const frames = record(none, () => v2report(none, 'h3/eth0', '239.7.7.7'));
  assert.deepEqual(dropAt(frames[0], 'pswitch:psw'), { device: 'pswitch:psw', port: P('p12'), rule: 'R9.3', reason: 'no-mrouter-port' });
  assert.deepEqual(frames[0]!.hops.filter((h) => h.action === 'learn').map((h) => `${h.rule} ${h.reason}`), ['R9.1 ', 'R9.3 igmp-report'], 'learned all the same');

  // r queries (at start, then every 125 s): its port is an mrouter port; h2 answers; reports reach r only.
  const { net } = lab(stationLab({ snooping: true, querier: true }));
  assert.deepEqual(groupsView(net, 'pswitch:psw', 0).mrouters, [{ vlan: 1, port: P('p20'), type: 'learned', ageSeconds: 0 }]);
  const w = watch(net);
  advance(net, 11_000);
  assert.deepEqual(['h', 'h3', 'r', 's'].map((v) => w.rx(`${v}/eth0`)), [0, 0, 1, 0], 'h2\'s answer to the startup query (IGMPv2, to 239.1.1.1) went to r only');
  sendData(net, 'h/eth0', '239.1.1.1');
  assert.deepEqual(['h2', 'h3', 'r', 's'].map((v) => w.rx(`${v}/eth0`)), [1, 0, 2, 0], 'group traffic: the member and the mrouter port');
  const view = groupsView(net, 'pswitch:psw', net.fabric.now);
  assert.deepEqual(view.queriers, [{ vlan: 1, ageSeconds: 11 }]);

  const fixed = lab(stationLab({ snooping: true, mrouter: true })).net;
  const wf = watch(fixed);
  v2report(fixed, 'h3/eth0', '239.7.7.7');
  sendData(fixed, 'h/eth0', '239.1.1.1');
  assert.deepEqual(['h2', 'h3', 's'].map((v) => wf.rx(`${v}/eth0`)), [1, 0, 2], 's (mrouter: true) gets the report and the group traffic');
  assert.deepEqual(groupsView(fixed, 'pswitch:psw', 0).mrouters, [{ port: P('p21'), type: 'static' }]);
});

test('R9.3 snooping, ageing: a membership lives 260 s after its last report — then the group floods again; a querier\'s rounds keep it', () => {
  const { net } = lab(stationLab({ snooping: true }));
  const h3Gets = () => { const w = watch(net); sendData(net, 'h/eth0', '239.1.1.1'); return w.rx('h3/eth0'); };
  advance(net, 259_000);
  assert.equal(h3Gets(), 0, '259 s: h2 still the member');
  advance(net, 2000);
  assert.equal(h3Gets(), 1, '261 s: aged out, flooded as unregistered');
  const q = lab(stationLab({ snooping: true, querier: true })).net;
  const w = watch(q);
  advance(q, 600_000);
  assert.equal(w.rx('r/eth0'), 5, 'h2 answered r\'s queries at 0, 125, 250, 375 and 500 s');
  const wq = watch(q);
  sendData(q, 'h/eth0', '239.1.1.1');
  assert.deepEqual(['h2', 'h3', 'r'].map((v) => wq.rx(`${v}/eth0`)), [1, 0, 1], '600 s: still by membership');
});

// ================================================================================================
// Linux bridge (R8.3, multicast_snooping)
// ================================================================================================

/** psw → l0 (vSS, Nest-PG promiscuous + forged accept) → nested KVM host kvm1, br0 with k1 (joined 239.1.1.1) and k2. */
function kvmLab(querier: boolean): string {
  return `
lab: kvm-igmp
network:
  switches:
    - name: psw
      igmpSnooping: true
      ports:
        p1: { mode: trunk }
        p10: { mode: access, vlan: 1 }
        p20: { mode: access, vlan: 1 }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MACS.h}', ip: ${IP.h}/24, connect: psw/p10 }] }
    - { name: r, router: true, igmpQuerier: ${querier}, nics: [{ name: eth0, mac: '${MACS.r}', ip: ${IP.r}/24, connect: psw/p20 }] }
hosts:
${l0Host(['{ name: Nest-PG, security: { promiscuous: accept, forgedTransmits: accept } }'])}
vms:
${nestedKvm('{ name: br0, uplinks: [eth0] }')}
${vm('k1', 'br0', "ip: 10.0.0.41/24, multicast: ['239.1.1.1']", 'kvm1')}
${vm('k2', 'br0', 'ip: 10.0.0.42/24', 'kvm1')}
`;
}

test('R8.3, Linux multicast_snooping: without a querier a bridge floods group traffic (b00589af); once one is heard, to members and router ports — a group nobody joined to router ports only (bd4265fe)', () => {
  const BR = 'bridge:kvm1/br0';
  const quiet = lab(kvmLab(false)).net;
  const w0 = watch(quiet);
  sendData(quiet, 'h/eth0', '239.1.1.1');
  assert.deepEqual([w0.rx('k1/nic0'), w0.rx('k2/nic0')], [1, 1], 'no querier: flooded, though br0 learned k1\'s report');
  assert.equal(groupsView(quiet, BR, quiet.fabric.now).groups.length, 1);

  const { net } = lab(kvmLab(true));
  const w = watch(net);
  const frames = record(net, () => sendData(net, 'h/eth0', '239.1.1.1'));
  assert.deepEqual([w.rx('k1/nic0'), w.rx('k2/nic0')], [1, 0], 'a querier is heard: k1 only');
  assert.deepEqual(frames[0]!.hops.filter((h) => h.device === BR && h.action !== 'ingress' && h.action !== 'learn').map((h) => `${h.action} ${h.rule}`), ['forward R8.3']);
  const unknown = record(net, () => sendData(net, 'h/eth0', '239.6.6.6'));
  assert.deepEqual([w.rx('k1/nic0'), w.rx('k2/nic0')], [1, 0], 'a group nobody joined goes to router ports only — the one it came in on');
  assert.deepEqual(dropAt(unknown[0], BR), { device: BR, port: 'nic:kvm1/eth0', rule: 'R8.3', reason: 'no-mrouter-port' });
  const view = groupsView(net, BR, net.fabric.now);
  assert.deepEqual(view.mrouters, [{ vlan: 0, port: 'nic:kvm1/eth0', type: 'learned', ageSeconds: 0 }], 'eth0 learned as router port from r\'s query');
});

// ================================================================================================
// Nested: the outer vDS learns from the nested VMs' reports
// ================================================================================================

/** psw → l0 (vDS 6.6.0: Nest-PG with MAC learning, forged accept, promiscuous reject) → nested ESXi l1 with v (joined 239.1.1.1) on its vSS. */
function nestedLab(mode: 'basic' | 'snooping'): string {
  return `
lab: nested-igmp
network:
  switches:
    - name: psw
      ports:
        p1: { mode: trunk }
        p10: { mode: access, vlan: 1 }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MACS.h}', ip: ${IP.h}/24, connect: psw/p10 }] }
vcenter: external
distributedSwitches:
  - name: dvs
    version: 6.6.0
    multicastFiltering: ${mode}
    members: [{ host: l0, uplinks: [vmnic0] }]
    portgroups: [{ name: Nest-PG, security: { forgedTransmits: accept }, macLearning: { enabled: true } }]
hosts:
${l0Host()}
vms:
  - name: l1
    host: l0
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Nest-PG, mac: '${MACS.l1}' }]
    nested:
      hypervisor: esxi
      switches:
        - { name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }
  - { name: v, host: l1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, mac: '${MACS.v}', ip: 10.0.0.21/24, multicast: ['239.1.1.1'] }] }
`;
}

test('R1.7 snooping, nested: v\'s report crosses the nested vSwitch and teaches the outer vDS — l1\'s vmnic gets 239.1.1.1 and not other groups (basic: every group, all-multicast) [L]; the vDS\'s queries reach v, whose answers keep it', () => {
  const L1 = 'nic:l1/vmnic0';
  const got: Record<string, number[]> = {};
  for (const mode of ['basic', 'snooping'] as const) {
    const { net } = lab(nestedLab(mode));
    const w = watch(net);
    sendData(net, 'h/eth0', '239.1.1.1');
    sendData(net, 'h/eth0', '239.2.2.2');
    got[mode] = [w.rx(L1), w.rx('v/nic0')];
    if (mode === 'snooping') {
      assert.deepEqual(groupsView(net, 'dvswitch:dvs@l0', net.fabric.now).groups.map((g) => [g.group, g.ports.map((p) => p.port)]), [['239.1.1.1', ['nic:l1/vmnic0']]], 'learned on l1\'s port from v\'s report');
      advance(net, 600_000);
      const w2 = watch(net);
      sendData(net, 'h/eth0', '239.1.1.1');
      assert.deepEqual([w2.rx(L1), w2.rx('v/nic0')], [1, 1], '600 s: v answered the vDS\'s queries through l1 — still a member');
    }
  }
  assert.deepEqual(got, { basic: [2, 1], snooping: [1, 1] }, 'l1 gets only the group v joined; v gets it either way');
});

// ================================================================================================
// State between commands, behaviour unchanged without IGMP
// ================================================================================================

test('R1.7, R9.3: memberships, mrouter ports and queriers survive from command to command; guests that reported do not report again, until their link comes up', () => {
  const { inv, net } = lab(vdsLab({ pswSnooping: true, querier: true }));
  advance(net, 30_000);
  v2report(net, 'd/nic0', '239.9.9.9');
  const before = [groupsView(net, S, net.fabric.now), groupsView(net, 'pswitch:psw', net.fabric.now)];
  const next = network(inv, { state: snapshot(net, {}), now: net.fabric.now });
  assert.deepEqual([groupsView(next, S, next.fabric.now), groupsView(next, 'pswitch:psw', next.fabric.now)], before, 'the same tables, ages and all');
  const w = watch(next);
  advance(next, 1000);
  assert.equal(w.tx('b/nic0') + w.tx('h2/eth0'), 0, 'no second unsolicited report, no new startup query');
  changeLink(next, portOf(next, 'b/nic0'), false);
  changeLink(next, portOf(next, 'b/nic0'), true);
  linkUp(next, next.interfaces.get('b/nic0')!.iface);
  assert.equal(w.tx('b/nic0'), 1, 'link up: b reports its groups again');
});

test('R1.7: a lab without snooping or a querier speaks no IGMP — guests with groups send nothing when the network starts (labs behave as before)', () => {
  const { net } = lab(vdsLab({ mode: 'basic' }));
  for (const [id, p] of net.ports) assert.equal(p.counters.reduce((a, b) => a + b, 0), 0, `${id}: no frame at start`);
  advance(net, 600_000);
  assert.equal([...net.ports.values()].reduce((a, p) => a + p.counters[1]!, 0), 0, 'nor later: no querier');
});

// ================================================================================================
// Bad input: malformed IGMP into every snooping device, lab file, lint
// ================================================================================================

test('R9.3, R1.7: random and mutated IGMP frames into every snooping device never throw; malformed ones are dropped as malformed', () => {
  const { net } = lab(kvmLab(true));
  const vds = lab(vdsLab({ pswSnooping: true, querier: true })).net;
  const good = igmpV3ReportFrame(m('k1'), ip('10.0.0.41'), [{ type: MODE_IS_INCLUDE, group: ip('232.1.1.1'), sources: [ip('10.0.0.1')] }]);
  const points: Array<[Network, string]> = [[net, 'k1/nic0'], [net, 'h/eth0'], [net, 'nic:kvm1/eth0'], [vds, 'd/nic0'], [vds, 'h/eth0'], [vds, UPLINK]];
  let malformed = 0;
  fc.assert(fc.property(fc.nat(points.length - 1), fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { maxLength: 4 }), fc.nat(good.length), (i, flips, cut) => {
    const f = good.slice(0, Math.max(14, cut));
    for (const [at, v] of flips) if (at < f.length && at >= 12) f[at] = v;
    const [n, who] = points[i]!;
    const before = [...n.ports.values()].reduce((a, p) => a + p.counters[MALFORMED]!, 0);
    send(n, who, f);
    n.fabric.runUntil(n.fabric.now + 20_000);
    malformed += [...n.ports.values()].reduce((a, p) => a + p.counters[MALFORMED]!, 0) - before;
    return true;
  }), { seed: 0x16e9, numRuns: 3000 });
  assert.ok(malformed > 0, 'some were counted as malformed');
});

test('lab file: multicastFiltering snooping needs vDS 6.0.0+ (snooping-needs-vds-6); the new fields are checked; labs without them resolve as before', () => {
  const old = loadLabText('l.yaml', vdsLab({ version: '5.5.0' }));
  assert.ok(!old.ok);
  assert.equal(old.errors[0]!.code, 'snooping-needs-vds-6');
  assert.equal(old.errors[0]!.path, 'distributedSwitches[0].multicastFiltering');
  for (const [bad, what] of [
    [vdsLab().replace('multicastFiltering: snooping', 'multicastFiltering: igmp'), /expected one of basic, snooping/],
    [stationLab({ snooping: true }).replace("multicast: ['239.1.1.1']", "multicast: ['10.0.0.1']"), /IPv4 multicast group/],
    [stationLab({ snooping: true }).replace('igmpSnooping: true', 'igmpSnooping: yes'), /igmpSnooping/],
    [kvmLab(false).replace('        uplinks: [vmnic0]\n', '        uplinks: [vmnic0]\n        multicastSnooping: true\n'), /multicastSnooping.*does not apply to an ESXi vSwitch/],
  ] as const) {
    const r = loadLabText('l.yaml', bad);
    assert.ok(!r.ok, String(what));
    assert.match(JSON.stringify(r.errors), what);
  }
  const ok = loadLabText('l.yaml', vdsLab({ mode: 'basic' }).replace('    multicastFiltering: basic\n', '').replace('      igmpSnooping: false\n', ''));
  assert.ok(ok.ok);
  const inv = ok.inventory;
  assert.equal('multicastFiltering' in inv.dvswitches.get('dvs')!, false, 'basic: nothing stored');
  assert.equal('igmpSnooping' in inv.pswitches.get('psw')!, false);
  assert.equal('igmpQuerier' in inv.stations.get('r')!, false);
  assert.equal('groups' in inv.vms.get('a')!.nics[0]!, false);
  assert.deepEqual(inv.vms.get('b')!.nics[0]!.groups, ['239.1.1.1']);
  assert.deepEqual(inv.vms.get('b')!.nics[0]!.multicast, ['01:00:5e:01:01:01'], 'the vNIC filter as before');
});

test('lint: multicast-groups-share-mac (R1.7: basic filtering cannot tell 239.1.1.1 from 224.129.1.1) and igmp-snooping-without-querier (R9.3)', () => {
  const codes = (text: string) => { const l = loadLabText('l.yaml', text); assert.ok(l.ok); return l.warnings.map((w) => w.code); };
  assert.ok(codes(vdsLab({ mode: 'basic' })).includes('multicast-groups-share-mac'));
  assert.ok(!codes(vdsLab({ mode: 'snooping' })).includes('multicast-groups-share-mac'), 'snooping tells them apart');
  assert.ok(codes(stationLab({ snooping: true })).includes('igmp-snooping-without-querier'));
  assert.ok(!codes(stationLab({ snooping: true, querier: true })).includes('igmp-snooping-without-querier'));
  assert.ok(!codes(stationLab({ snooping: false })).includes('igmp-snooping-without-querier'));
});

// ================================================================================================
// The command line: nestlab groups
// ================================================================================================

test('nestlab groups SWITCH (--json and table): groups → ports with age; the vDS\'s query round renews them; advance runs the queriers (R1.7, R9.3)', async () => {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, vdsLab({ pswSnooping: true }));
  const state = ['--state', join(dir, 'state')];
  const json = [...state, '--json'];
  const results = await nestlabSrcSession([
    ['up', file, ...json], ['groups', 'dvs@esx1', ...json], ['advance', '100s', ...json], ['groups', 'dvs@esx1', ...json],
    ['advance', '40s', ...json], ['groups', 'dvs@esx1', ...json], ['groups', 'psw', ...json], ['groups', 'psw', ...state], ['groups', 'nope', ...json],
  ]);
  results.slice(0, 8).forEach((r, i) => assert.equal(r.code, 0, `command ${i}: ${r.stdout}`));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const [, g0, , g100, , g140, psw] = results.map((r) => (r.stdout.startsWith('{') ? JSON.parse(r.stdout) : null) as any);
  assert.deepEqual(g0, {
    switch: S, mode: 'snooping',
    groups: [
      { vlan: 0, group: '239.1.1.1', ports: [{ port: 'vnic:b/0', ageSeconds: 0, expiresSeconds: 260 }] },
      { vlan: 0, group: '224.129.1.1', ports: [{ port: 'vnic:c/0', ageSeconds: 0, expiresSeconds: 260 }] },
    ],
    mrouters: [], queriers: [],
  });
  assert.equal(g100.groups[0].ports[0].ageSeconds, 100, 'no report since: 100 s old');
  assert.ok(g140.groups[0].ports[0].ageSeconds < 15, `the vDS queried at 125 s and b answered (age ${g140.groups[0].ports[0].ageSeconds} s)`);
  assert.deepEqual(psw.groups.map((g: { group: string; ports: Array<{ port: string }> }) => [g.group, g.ports.map((p) => p.port)]), [['239.1.1.1', [P('p1'), P('p11')]], ['224.129.1.1', [P('p1')]]], 'the physical switch: esx1\'s uplink for its VMs, and h2');
  assert.match(results[7]!.stdout, /IGMP snooping/);
  assert.match(results[7]!.stdout, /GROUP\s+VLAN\s+PORT\s+AGE\s+EXPIRES/);
  assert.equal(results[8]!.code, 1);
  assert.equal(JSON.parse(results[8]!.stdout).code, 'unknown-switch');
});
