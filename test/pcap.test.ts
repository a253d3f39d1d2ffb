// The pcap writer (src/net/pcap.ts): classic libpcap files of wire bytes (outer tag put back with
// withOuterTag), read back by our own reader and decoded by tshark, which is the independent
// check of the codecs' byte layout and checksums. Without tshark the decode test skips, loudly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ETHERTYPE_IPV4, ETHERTYPE_QINQ, IP_PROTO_UDP, arpReplyFrame, arpRequestFrame, buildEthernet, buildIpv4, buildUdp,
  icmpEchoFrame, ipToNumber, macToNumber, rarpFrame, splitOuterTag, withOuterTag,
} from '../src/net/codec/index.js';
import { PcapWriter, readPcap } from '../src/net/pcap.js';
import { tempDir } from './helpers.js';

const A = '00:50:56:aa:bb:cc';
const B = '00:50:56:11:22:33';
const M_A = macToNumber(A);
const M_B = macToNumber(B);
const IP_A = ipToNumber('10.0.0.5');
const IP_B = ipToNumber('10.0.0.1');

/** The capture used by both tests: [virtual time, wire bytes]. */
function sampleFrames(): Array<[number, Uint8Array]> {
  const ping = (reply: boolean, seq: number) => reply
    ? icmpEchoFrame({ srcMac: M_B, dstMac: M_A, srcIp: IP_B, dstIp: IP_A, id: 7, seq, reply })
    : icmpEchoFrame({ srcMac: M_A, dstMac: M_B, srcIp: IP_A, dstIp: IP_B, id: 7, seq, reply });
  // a guest (VGT) frame carrying its own C-tag 20, under an S-tag 100 on the wire (802.1ad QinQ)
  const vgt = buildEthernet({
    dst: M_B, src: M_A, etherType: ETHERTYPE_IPV4, innerVlans: [20],
    payload: buildIpv4({ src: IP_A, dst: IP_B, protocol: 1, payload: ping(false, 3).subarray(34, 98) }),
  });
  const udp = buildEthernet({
    dst: M_B, src: M_A, etherType: ETHERTYPE_IPV4,
    payload: buildIpv4({ src: IP_A, dst: IP_B, protocol: IP_PROTO_UDP, payload: buildUdp({ srcPort: 40000, dstPort: 50001, payload: Uint8Array.from([1, 2, 3]), srcIp: IP_A, dstIp: IP_B }) }),
  });
  return [
    [0, arpRequestFrame(M_A, IP_A, IP_B)], // 1
    [0.000125, arpReplyFrame(M_B, IP_B, M_A, IP_A)], // 2
    [0.5, ping(false, 1)], // 3
    [0.500042, ping(true, 1)], // 4
    [1, withOuterTag(ping(false, 2), 20)], // 5: VST port group VLAN 20 on the uplink (R3.4)
    [1.25, withOuterTag(vgt, 100, 3, ETHERTYPE_QINQ)], // 6: double tagged
    [2, rarpFrame(M_A)], // 7: R5.10 notify-switches RARP
    [3.999999, udp], // 8
  ];
}

function writeSample(dir: string, extra: Array<[number, Uint8Array]> = []): string {
  const path = join(dir, 'sample.pcap');
  const w = new PcapWriter(path);
  for (const [ts, bytes] of [...sampleFrames(), ...extra]) w.write(ts, bytes);
  w.close();
  w.close(); // idempotent
  return path;
}

test('pcap file header and records are classic libpcap (µs, v2.4, snaplen 65535, Ethernet)', () => {
  const path = writeSample(tempDir());
  const raw = readFileSync(path);
  assert.equal(raw.subarray(0, 24).toString('hex'),
    'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '01000000');
  const recs = readPcap(path);
  const sample = sampleFrames();
  assert.equal(recs.length, sample.length);
  recs.forEach((r, i) => {
    const [ts, bytes] = sample[i]!;
    assert.ok(Math.abs(r.ts - ts) < 5e-7, `record ${i + 1} ts ${r.ts} vs ${ts}`);
    assert.deepEqual(r.data, bytes);
    assert.equal(r.origLen, bytes.length);
  });
  // reading back into nestlab form: the outer tag becomes metadata
  const five = splitOuterTag(recs[4]!.data);
  assert.equal(five.vid, 20);
  const six = splitOuterTag(recs[5]!.data);
  assert.deepEqual([six.vid, six.pcp, six.tpid], [100, 3, ETHERTYPE_QINQ]);
});

test('pcap writer: buffering across many records, snaplen cut, timestamps, closed writer', () => {
  const dir = tempDir();
  const path = join(dir, 'many.pcap');
  const w = new PcapWriter(path);
  const big = new Uint8Array(70_000).fill(0xab);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const f = new Uint8Array(60 + (i % 1455));
    f[0] = i & 0xff;
    f[f.length - 1] = i >> 8;
    frames.push(f);
    w.write(i * 0.001, f);
    if (i === 1500) w.write(1.5, big);
  }
  assert.equal(w.count, 3001);
  w.close();
  assert.throws(() => w.write(0, frames[0]!), /closed/);
  assert.throws(() => new PcapWriter(join(dir, 'x.pcap')).write(-1, frames[0]!), RangeError);
  const recs = readPcap(path);
  assert.equal(recs.length, 3001);
  const cut = recs[1501]!;
  assert.equal(cut.data.length, 65535, 'cut at the snaplen');
  assert.equal(cut.origLen, 70_000);
  const rest = recs.filter((_, i) => i !== 1501);
  rest.forEach((r, i) => {
    assert.deepEqual(r.data, frames[i], `record ${i}`);
    assert.equal(Math.round(r.ts * 1e6), i * 1000);
  });
});

function haveTshark(): boolean {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

const FIELDS = [
  'frame.number', 'frame.time_epoch', 'eth.src', 'eth.dst', 'vlan.id', 'ieee8021ad.id', 'ieee8021ad.priority', 'arp.opcode',
  'arp.src.hw_mac', 'arp.dst.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'icmp.type', 'icmp.seq',
  'icmp.checksum.status', 'ip.src', 'ip.dst', 'ip.checksum.status', 'udp.dstport', 'udp.checksum.status',
  '_ws.expert',
] as const;
type Row = Record<(typeof FIELDS)[number], string>;
// Wireshark's checksum status values (proto.h: PROTO_CHECKSUM_E_BAD = 0, PROTO_CHECKSUM_E_GOOD = 1)
const GOOD = '1';
const BAD = '0';

test('tshark decodes the capture: ARP, ICMP, 802.1Q VLAN 20, QinQ, RARP, good checksums', (t) => {
  if (!haveTshark()) {
    t.skip('tshark not installed: run scripts/install-test-deps.sh');
    return;
  }
  // frame 9: a control — the ICMP request with one IP header byte flipped must decode as Bad
  const bad = icmpEchoFrame({ srcMac: M_A, dstMac: M_B, srcIp: IP_A, dstIp: IP_B, id: 7, seq: 9, reply: false });
  bad[22] = 63; // TTL 64 → 63 without fixing the header checksum
  const path = writeSample(tempDir(), [[5, bad]]);
  const r = spawnSync('tshark', [
    '-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=,',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows: Row[] = r.stdout.trim().split('\n').map((line) => {
    const cells = line.split('|');
    return Object.fromEntries(FIELDS.map((f, i) => [f, cells[i] ?? ''])) as Row;
  });
  const row = (n: number) => rows[n - 1]!;
  assert.equal(rows.length, 9, r.stdout);
  for (const x of rows.slice(0, 8)) assert.equal(x['_ws.expert'], '', `frame ${x['frame.number']}: no expert warnings`);

  // (a) ARP request / reply
  assert.deepEqual([row(1)['eth.src'], row(1)['eth.dst'], row(1)['arp.opcode']], [A, 'ff:ff:ff:ff:ff:ff', '1']);
  assert.deepEqual([row(1)['arp.src.proto_ipv4'], row(1)['arp.dst.proto_ipv4']], ['10.0.0.5', '10.0.0.1']);
  assert.deepEqual([row(2)['eth.src'], row(2)['eth.dst'], row(2)['arp.opcode'], row(2)['arp.src.hw_mac']], [B, A, '2', B]);
  assert.equal(Number(row(2)['frame.time_epoch']), 0.000125);

  // (b) ICMP echo request / reply, checksums good 
  for (const [n, type, src, dst] of [[3, '8', '10.0.0.5', '10.0.0.1'], [4, '0', '10.0.0.1', '10.0.0.5']] as const) {
    const x = row(n);
    assert.deepEqual([x['icmp.type'], x['ip.src'], x['ip.dst'], x['icmp.seq']], [type, src, dst, '1'], `frame ${n}`);
    assert.deepEqual([x['ip.checksum.status'], x['icmp.checksum.status']], [GOOD, GOOD], `frame ${n} checksums`);
    assert.equal(x['vlan.id'], '');
  }

  // (c) 802.1Q VLAN 20; then S-tag 100 (802.1ad) over C-tag 20
  assert.deepEqual([row(5)['vlan.id'], row(5)['ieee8021ad.id']], ['20', '']);
  assert.deepEqual([row(5)['icmp.type'], row(5)['ip.checksum.status'], row(5)['icmp.checksum.status']], ['8', GOOD, GOOD]);
  const six = row(6);
  assert.deepEqual([six['ieee8021ad.id'], six['ieee8021ad.priority'], six['vlan.id']], ['100', '3', '20'], JSON.stringify(six));
  assert.deepEqual([six['icmp.type'], six['ip.checksum.status'], six['icmp.checksum.status']], ['8', GOOD, GOOD]);

  // (d) RARP (R5.10): opcode 3, broadcast, src = VM MAC, sender = target hardware address
  assert.deepEqual([row(7)['arp.opcode'], row(7)['eth.src'], row(7)['eth.dst']], ['3', A, 'ff:ff:ff:ff:ff:ff']);
  assert.deepEqual([row(7)['arp.src.hw_mac'], row(7)['arp.dst.hw_mac']], [A, A]);

  // UDP with the pseudo-header checksum
  assert.deepEqual([row(8)['udp.dstport'], row(8)['udp.checksum.status'], row(8)['ip.checksum.status']], ['50001', GOOD, GOOD]);
  assert.equal(Number(row(8)['frame.time_epoch']), 3.999999);

  // the control: tshark does tell a bad checksum from a good one
  assert.deepEqual([row(9)['ip.checksum.status'], row(9)['icmp.checksum.status']], [BAD, GOOD]);
  assert.match(row(9)['_ws.expert'], /Bad checksum/);
});
