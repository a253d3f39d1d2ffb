// Wire-format codecs (src/net/codec): known byte vectors, round trips, MAC/IP conversions,
// outer-tag handling (spec §3: VST/VGT/QinQ tags; R5.10: RARP), and malformed input that must
// give null, never an exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ARP_REPLY, ARP_REQUEST, BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_QINQ, ETHERTYPE_RARP,
  ETHERTYPE_VLAN, IP_PROTO_ICMP, IP_PROTO_UDP, RARP_REQUEST, arpReplyFrame, arpRequestFrame, buildArp,
  buildEthernet, buildIcmpEcho, buildIpv4, buildUdp, describeFrame, etherTypeOf, frameDst, frameSrc,
  gratuitousArpFrame, icmpEchoFrame, innerVlanOf, internetChecksum, ipToNumber, ipToString, isBroadcastMac,
  isMulticastMac, macToNumber, macToString, parseArp, parseCidr, parseEthernet, parseIcmp, parseIpv4,
  parseUdp, rarpFrame, readMac, sameSubnet, splitOuterTag, withOuterTag, writeMac,
} from '../src/net/codec/index.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const M_A = macToNumber('00:50:56:aa:bb:cc');
const M_B = macToNumber('00:50:56:11:22:33');
const IP_A = ipToNumber('10.0.0.5');
const IP_B = ipToNumber('10.0.0.1');

// ---------------------------------------------------------------- MAC and IP numbers

test('MAC text ↔ number, edge cases', () => {
  assert.equal(macToNumber('ff:ff:ff:ff:ff:ff'), BROADCAST_MAC);
  assert.equal(BROADCAST_MAC, 2 ** 48 - 1);
  assert.equal(macToNumber('00:00:00:00:00:00'), 0);
  assert.equal(macToNumber('00:50:56:AA:BB:CC'), 0x005056aabbcc);
  assert.equal(macToNumber('00-50-56-aa-bb-cc'), 0x005056aabbcc);
  assert.equal(macToString(0x005056aabbcc), '00:50:56:aa:bb:cc');
  assert.equal(macToString(BROADCAST_MAC), 'ff:ff:ff:ff:ff:ff');
  assert.equal(macToString(0), '00:00:00:00:00:00');
  assert.equal(macToString(macToNumber('80:00:00:00:00:01')), '80:00:00:00:00:01', 'top bit survives');
  for (const bad of ['', '00:50:56:aa:bb', '00:50:56:aa:bb:cc:dd', 'g0:50:56:aa:bb:cc', '0:50:56:aa:bb:cc']) {
    assert.throws(() => macToNumber(bad), RangeError, bad);
  }
});

test('multicast (I/G bit of the first octet) and broadcast', () => {
  assert.equal(isMulticastMac(BROADCAST_MAC), true, 'broadcast is a group address');
  assert.equal(isBroadcastMac(BROADCAST_MAC), true);
  assert.equal(isMulticastMac(macToNumber('01:00:5e:00:00:01')), true);
  assert.equal(isMulticastMac(macToNumber('33:33:00:00:00:01')), true);
  assert.equal(isBroadcastMac(macToNumber('01:00:5e:00:00:01')), false);
  assert.equal(isMulticastMac(macToNumber('00:50:56:aa:bb:cc')), false);
  assert.equal(isMulticastMac(macToNumber('02:00:00:00:00:00')), false, 'U/L bit is not I/G');
  assert.equal(isMulticastMac(macToNumber('fe:ff:ff:ff:ff:ff')), false);
  assert.equal(isMulticastMac(macToNumber('01:00:00:00:00:00')), true);
  assert.equal(isMulticastMac(0), false);
});

test('readMac / writeMac round trip over random MACs and offsets', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: BROADCAST_MAC }), fc.nat(10), (mac, off) => {
    const b = new Uint8Array(off + 6);
    writeMac(b, off, mac);
    assert.equal(readMac(b, off), mac);
    assert.equal(macToNumber(macToString(mac)), mac);
  }), { seed: 1, numRuns: 5000 });
});

test('IPv4 text ↔ number, CIDR, same subnet', () => {
  assert.equal(ipToNumber('10.0.0.1'), 0x0a000001);
  assert.equal(ipToNumber('255.255.255.255'), 0xffffffff);
  assert.equal(ipToString(0xc0a800c7), '192.168.0.199');
  assert.equal(ipToString(0xffffffff), '255.255.255.255');
  for (const bad of ['', '10.0.0', '10.0.0.256', '1.2.3.4.5', 'a.b.c.d', ' 10.0.0.1']) {
    assert.throws(() => ipToNumber(bad), RangeError, bad);
  }
  assert.deepEqual(parseCidr('10.0.0.5/24'), { ip: IP_A, prefix: 24, mask: 0xffffff00, network: 0x0a000000 });
  assert.deepEqual(parseCidr('10.0.0.5'), { ip: IP_A, prefix: 32, mask: 0xffffffff, network: IP_A });
  assert.equal(parseCidr('0.0.0.0/0')!.mask, 0);
  assert.equal(parseCidr('192.168.1.130/25')!.network, ipToNumber('192.168.1.128'));
  for (const bad of ['10.0.0.5/33', '10.0.0.5/', '10.0.0/24', '10.0.0.5/-1', '10.0.0.5/2x']) {
    assert.equal(parseCidr(bad), null, bad);
  }
  assert.equal(sameSubnet(IP_A, IP_B, 24), true);
  assert.equal(sameSubnet(IP_A, ipToNumber('10.0.1.1'), 24), false);
  assert.equal(sameSubnet(IP_A, ipToNumber('10.0.1.1'), 16), true);
  assert.equal(sameSubnet(0xffffffff, 0, 0), true);
  assert.equal(sameSubnet(0xffffffff, 0xfffffffe, 32), false);
});

// ---------------------------------------------------------------- Ethernet and tags

test('Ethernet: build pads to 60 bytes, parse reads it back', () => {
  const f = buildEthernet({ dst: M_B, src: M_A, etherType: 0x88b5, payload: hex('deadbeef') });
  assert.equal(f.length, 60);
  assert.equal(toHex(f.subarray(0, 18)), '005056112233' + '005056aabbcc' + '88b5' + 'deadbeef');
  assert.ok(f.subarray(18).every((b) => b === 0), 'zero padding');
  assert.equal(frameDst(f), M_B);
  assert.equal(frameSrc(f), M_A);
  assert.equal(etherTypeOf(f), 0x88b5);
  assert.equal(innerVlanOf(f), 0);
  assert.deepEqual(parseEthernet(f), { dst: M_B, src: M_A, vlans: [], etherType: 0x88b5, payloadOffset: 14 });
  const big = buildEthernet({ dst: M_B, src: M_A, etherType: 0x0800, payload: new Uint8Array(1500) });
  assert.equal(big.length, 1514, 'no padding when long enough');
});

test('Ethernet: inner tags (VGT / QinQ, spec §3) are written into the bytes, outer first', () => {
  const f = buildEthernet({ dst: M_B, src: M_A, etherType: ETHERTYPE_IPV4, payload: new Uint8Array(46), innerVlans: [100, 20] });
  assert.equal(toHex(f.subarray(12, 22)), '8100' + '0064' + '8100' + '0014' + '0800');
  assert.equal(etherTypeOf(f), ETHERTYPE_VLAN, 'etherTypeOf reads offset 12, the inner tag');
  assert.equal(innerVlanOf(f), 100);
  assert.deepEqual(parseEthernet(f), { dst: M_B, src: M_A, vlans: [100, 20], etherType: ETHERTYPE_IPV4, payloadOffset: 22 });
  assert.throws(() => buildEthernet({ dst: 0, src: 0, etherType: 0x800, payload: new Uint8Array(0), innerVlans: [4096] }), RangeError);
});

test('outer tag: withOuterTag / splitOuterTag round trip (802.1Q, 802.1ad QinQ over 802.1Q, priority)', () => {
  const frame = arpRequestFrame(M_A, IP_A, IP_B);
  assert.equal(withOuterTag(frame, 0), frame, 'vid 0 → the frame itself');
  assert.deepEqual(splitOuterTag(frame), { vid: 0, pcp: 0, tpid: 0, frame });

  const wire = withOuterTag(frame, 20);
  assert.equal(wire.length, frame.length + 4);
  assert.equal(toHex(wire.subarray(0, 18)), 'ffffffffffff' + '005056aabbcc' + '8100' + '0014' + '0806');
  assert.deepEqual(splitOuterTag(wire), { vid: 20, pcp: 0, tpid: ETHERTYPE_VLAN, frame });

  const prio = withOuterTag(frame, 4094, 5);
  assert.equal(toHex(prio.subarray(12, 16)), '8100' + 'affe');
  assert.deepEqual(splitOuterTag(prio), { vid: 4094, pcp: 5, tpid: ETHERTYPE_VLAN, frame });

  // QinQ: S-tag 0x88a8 vid 100 outside, the guest's C-tag 0x8100 vid 20 inside (stays in the bytes).
  const inner = buildEthernet({ dst: M_B, src: M_A, etherType: ETHERTYPE_IPV4, payload: new Uint8Array(46), innerVlans: [20] });
  const qinq = withOuterTag(inner, 100, 0, ETHERTYPE_QINQ);
  assert.equal(toHex(qinq.subarray(12, 22)), '88a8' + '0064' + '8100' + '0014' + '0800');
  assert.deepEqual(parseEthernet(qinq)!.vlans, [100, 20]);
  const s = splitOuterTag(qinq);
  assert.equal(s.vid, 100);
  assert.equal(s.tpid, ETHERTYPE_QINQ);
  assert.deepEqual(s.frame, inner);
  assert.equal(innerVlanOf(s.frame), 20);
  assert.deepEqual(withOuterTag(s.frame, s.vid, s.pcp, s.tpid), qinq);
  // and splitting again peels the C-tag
  assert.equal(splitOuterTag(s.frame).vid, 20);
  assert.equal(splitOuterTag(splitOuterTag(s.frame).frame).vid, 0);

  assert.throws(() => withOuterTag(frame, 4096), RangeError);
  assert.throws(() => withOuterTag(frame, 1, 8), RangeError);
});

test('outer tag: property round trip over random frames', () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 14, maxLength: 100 }), fc.integer({ min: 1, max: 4095 }), fc.integer({ min: 0, max: 7 }),
    fc.constantFrom(ETHERTYPE_VLAN, ETHERTYPE_QINQ),
    (frame, vid, pcp, tpid) => {
      const s = splitOuterTag(withOuterTag(frame, vid, pcp, tpid));
      assert.deepEqual([s.vid, s.pcp, s.tpid], [vid, pcp, tpid]);
      assert.deepEqual(s.frame, frame);
    }), { seed: 2, numRuns: 5000 });
});

// ---------------------------------------------------------------- ARP / RARP

test('ARP request matches a hand-built RFC 826 byte layout', () => {
  const expected = hex(`
    ffffffffffff 005056aabbcc 0806
    0001 0800 06 04 0001
    005056aabbcc 0a000005
    000000000000 0a000001
    000000000000000000000000000000000000`); // 18 bytes of padding to 60
  assert.equal(expected.length, 60);
  assert.equal(toHex(arpRequestFrame(M_A, IP_A, IP_B)), toHex(expected));
  const eth = parseEthernet(expected)!;
  assert.equal(eth.etherType, ETHERTYPE_ARP);
  assert.deepEqual(parseArp(expected, eth.payloadOffset), { op: ARP_REQUEST, senderMac: M_A, senderIp: IP_A, targetMac: 0, targetIp: IP_B });
  assert.equal(describeFrame(expected, 0), 'ARP who-has 10.0.0.1 tell 10.0.0.5');
});

test('ARP reply, gratuitous ARP, payload round trip', () => {
  const r = arpReplyFrame(M_B, IP_B, M_A, IP_A);
  assert.equal(frameDst(r), M_A, 'reply is unicast to the requester');
  assert.deepEqual(parseArp(r, 14), { op: ARP_REPLY, senderMac: M_B, senderIp: IP_B, targetMac: M_A, targetIp: IP_A });
  assert.equal(describeFrame(r), 'ARP 10.0.0.1 is-at 00:50:56:11:22:33');
  const g = gratuitousArpFrame(M_A, IP_A);
  assert.equal(frameDst(g), BROADCAST_MAC);
  assert.deepEqual(parseArp(g, 14), { op: ARP_REQUEST, senderMac: M_A, senderIp: IP_A, targetMac: 0, targetIp: IP_A });
  assert.equal(describeFrame(g), 'ARP gratuitous 10.0.0.5 is-at 00:50:56:aa:bb:cc');
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: BROADCAST_MAC }), fc.nat({ max: 0xffffffff }),
    fc.integer({ min: 0, max: BROADCAST_MAC }), fc.nat({ max: 0xffffffff }),
    (op, senderMac, senderIp, targetMac, targetIp) => {
      const a = { op, senderMac, senderIp, targetMac, targetIp };
      assert.deepEqual(parseArp(buildArp(a)), a);
    }), { seed: 3, numRuns: 5000 });
});

test('R5.10: RARP notify frame — broadcast, src = VM MAC, 0x8035, op 3, sha = tha = MAC, IPs 0', () => {
  const f = rarpFrame(M_A);
  assert.equal(toHex(f.subarray(0, 42)),
    'ffffffffffff005056aabbcc8035' + '00010800060400' + '03' + '005056aabbcc00000000' + '005056aabbcc00000000');
  assert.equal(f.length, 60);
  assert.equal(etherTypeOf(f), ETHERTYPE_RARP);
  assert.deepEqual(parseArp(f, 14), { op: RARP_REQUEST, senderMac: M_A, senderIp: 0, targetMac: M_A, targetIp: 0 });
  assert.equal(describeFrame(f), 'RARP 00:50:56:aa:bb:cc');
  assert.equal(describeFrame(f, 20), '802.1Q vlan 20 RARP 00:50:56:aa:bb:cc');
});

test('parseArp refuses other hardware/protocol types', () => {
  const p = buildArp({ op: 1, senderMac: M_A, senderIp: IP_A, targetMac: 0, targetIp: IP_B });
  for (const [i, v] of [[1, 6], [3, 0xdd], [4, 8], [5, 16]] as const) {
    const q = p.slice();
    q[i] = v;
    assert.equal(parseArp(q), null, `byte ${i} = ${v}`);
  }
});

// ---------------------------------------------------------------- IPv4, ICMP, UDP

test('IPv4 header checksum of the known example header is 0xb861', () => {
  const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
  assert.equal(internetChecksum(h), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  assert.equal(internetChecksum(h), 0, 'a header with a correct checksum sums to 0');
  // buildIpv4 gives the same header for the same fields
  const built = buildIpv4({ src: ipToNumber('192.168.0.1'), dst: ipToNumber('192.168.0.199'), protocol: IP_PROTO_UDP, dontFragment: true, payload: new Uint8Array(0x73 - 20) });
  assert.equal(toHex(built.subarray(0, 20)), toHex(h));
  const p = parseIpv4(built)!;
  assert.equal(p.checksumOk, true);
  assert.equal(p.fragment, 0x4000);
  h[15] = h[15]! ^ 1;
  assert.equal(parseIpv4(new Uint8Array([...h, ...new Uint8Array(0x73 - 20)]))!.checksumOk, false);
});

test('IPv4 round trip, header options, padding ignored', () => {
  fc.assert(fc.property(
    fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 200 }), fc.nat(40),
    (src, dst, protocol, ttl, id, payload, pad) => {
      const b = buildIpv4({ src, dst, protocol, ttl, id, payload });
      const padded = new Uint8Array(b.length + pad);
      padded.set(b);
      assert.deepEqual(parseIpv4(padded), {
        src, dst, protocol, ttl, id, fragment: 0, headerLength: 20, totalLength: 20 + payload.length,
        payloadOffset: 20, payloadLength: payload.length, checksumOk: true,
      });
    }), { seed: 4, numRuns: 3000 });
  // IHL 6 (one option word): checksum covers 24 bytes, payload starts at 24
  const h = hex('4600 001c 0001 0000 4001 0000 0a000005 0a000001 01010100 08000000 00000000');
  h[10] = internetChecksum(h, 0, 24) >>> 8;
  h[11] = internetChecksum(h, 0, 24) & 0xff;
  const p = parseIpv4(h)!;
  assert.deepEqual([p.headerLength, p.payloadOffset, p.payloadLength, p.checksumOk], [24, 24, 4, true]);
});

test('ICMP echo: checksum, round trip, whole frame like ping -s', () => {
  const m = buildIcmpEcho({ type: 8, id: 1, seq: 2, data: hex('0001020304') });
  // hand sum: 0800 + 0001 + 0002 + 0001 + 0203 + 0400 = 0x0e07 → ~ = 0xf1f8
  assert.equal(toHex(m), '0800f1f8' + '00010002' + '0001020304');
  assert.deepEqual(parseIcmp(m), { type: 8, code: 0, id: 1, seq: 2, dataOffset: 8, dataLength: 5, checksumOk: true });
  m[9] = m[9]! ^ 0xff;
  assert.equal(parseIcmp(m)!.checksumOk, false);

  for (const [size, len] of [[56, 98], [0, 60], [1472, 1514]] as const) {
    const f = icmpEchoFrame({ srcMac: M_A, dstMac: M_B, srcIp: IP_A, dstIp: IP_B, id: 1, seq: 2, size, reply: false });
    assert.equal(f.length, len, `ping -s ${size}`);
    const eth = parseEthernet(f)!;
    const ip = parseIpv4(f, eth.payloadOffset)!;
    assert.deepEqual([ip.src, ip.dst, ip.protocol, ip.ttl, ip.checksumOk], [IP_A, IP_B, IP_PROTO_ICMP, 64, true]);
    const icmp = parseIcmp(f, ip.payloadOffset, ip.payloadOffset + ip.payloadLength)!;
    assert.deepEqual([icmp.type, icmp.id, icmp.seq, icmp.dataLength, icmp.checksumOk], [8, 1, 2, size, true]);
  }
  const req = icmpEchoFrame({ srcMac: M_A, dstMac: M_B, srcIp: IP_A, dstIp: IP_B, id: 1, seq: 2, reply: false });
  const rep = icmpEchoFrame({ srcMac: M_B, dstMac: M_A, srcIp: IP_B, dstIp: IP_A, id: 1, seq: 2, reply: true });
  assert.equal(describeFrame(req), 'ICMP echo request 10.0.0.5 > 10.0.0.1 id 1 seq 2');
  assert.equal(describeFrame(rep, 20), '802.1Q vlan 20 ICMP echo reply 10.0.0.1 > 10.0.0.5 id 1 seq 2');
});

test('UDP: pseudo-header checksum, round trip, verification', () => {
  // hand-computed: pseudo 0a00 0005 0a00 0001 0011 000a + header 3039 0035 000a + data 6869
  // = 0x1421 + 0x3078 + 0x6869 = 0xad02 → checksum ~0xad02 = 0x52fd
  const d = buildUdp({ srcPort: 12345, dstPort: 53, payload: hex('6869'), srcIp: IP_A, dstIp: IP_B });
  assert.equal(toHex(d), '30390035000a52fd6869');
  const ips = { srcIp: IP_A, dstIp: IP_B };
  assert.deepEqual(parseUdp(d, 0, d.length, ips), { srcPort: 12345, dstPort: 53, length: 10, payloadOffset: 8, payloadLength: 2, checksumOk: true });
  assert.equal(parseUdp(d)!.checksumOk, null, 'not checked without the IPs');
  assert.equal(parseUdp(d, 0, d.length, { srcIp: IP_A, dstIp: IP_A })!.checksumOk, false);
  const none = d.slice();
  none[6] = 0;
  none[7] = 0;
  assert.equal(parseUdp(none, 0, none.length, ips)!.checksumOk, null, 'checksum 0 = none sent');
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 300 }),
    fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }),
    (srcPort, dstPort, payload, srcIp, dstIp) => {
      const u = buildUdp({ srcPort, dstPort, payload, srcIp, dstIp });
      const p = parseUdp(u, 0, u.length, { srcIp, dstIp })!;
      assert.deepEqual([p.srcPort, p.dstPort, p.payloadLength, p.checksumOk], [srcPort, dstPort, payload.length, true]);
      assert.notEqual(u[6]! | u[7]!, 0, 'a computed 0 is sent as 0xffff');
    }), { seed: 5, numRuns: 3000 });
  const f = buildEthernet({ dst: M_B, src: M_A, etherType: ETHERTYPE_IPV4, payload: buildIpv4({ src: IP_A, dst: IP_B, protocol: IP_PROTO_UDP, payload: d }) });
  assert.equal(describeFrame(f), 'UDP 10.0.0.5:12345 > 10.0.0.1:53 len 2');
});

// ---------------------------------------------------------------- malformed input

/** Every parser, chained the way the data plane would; must never throw. */
function parseAll(b: Uint8Array): void {
  etherTypeOf(b);
  innerVlanOf(b);
  frameDst(b);
  frameSrc(b);
  splitOuterTag(b);
  describeFrame(b, 0);
  describeFrame(b, 7);
  parseArp(b);
  parseIpv4(b);
  parseIcmp(b);
  parseUdp(b, 0, b.length, { srcIp: 1, dstIp: 2 });
  const eth = parseEthernet(b);
  if (!eth) return;
  assert.ok(eth.payloadOffset <= b.length);
  parseArp(b, eth.payloadOffset);
  const ip = parseIpv4(b, eth.payloadOffset);
  if (!ip) return;
  assert.ok(ip.payloadOffset + ip.payloadLength <= b.length);
  const end = ip.payloadOffset + ip.payloadLength;
  parseIcmp(b, ip.payloadOffset, end);
  const u = parseUdp(b, ip.payloadOffset, end, { srcIp: ip.src, dstIp: ip.dst });
  if (u) assert.ok(u.payloadOffset + u.payloadLength <= end);
}

const SAMPLES: Array<[string, Uint8Array]> = [
  ['arp', arpRequestFrame(M_A, IP_A, IP_B)],
  ['rarp', rarpFrame(M_A)],
  ['icmp', icmpEchoFrame({ srcMac: M_A, dstMac: M_B, srcIp: IP_A, dstIp: IP_B, id: 1, seq: 1, size: 100, reply: false })],
  ['udp', buildEthernet({ dst: M_B, src: M_A, etherType: ETHERTYPE_IPV4, payload: buildIpv4({ src: IP_A, dst: IP_B, protocol: IP_PROTO_UDP, payload: buildUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(30), srcIp: IP_A, dstIp: IP_B }) }) })],
  ['qinq', withOuterTag(buildEthernet({ dst: M_B, src: M_A, etherType: ETHERTYPE_ARP, payload: buildArp({ op: 1, senderMac: M_A, senderIp: IP_A, targetMac: 0, targetIp: IP_B }), innerVlans: [20] }), 100, 0, ETHERTYPE_QINQ)],
];

test('truncated at every length: parsers return null below the needed size, never throw', () => {
  for (const [name, full] of SAMPLES) {
    for (let n = 0; n <= full.length; n++) {
      const b = full.slice(0, n);
      assert.doesNotThrow(() => parseAll(b), `${name} cut at ${n}`);
      const eth = parseEthernet(b);
      const tags = name === 'qinq' ? 2 : 0;
      assert.equal(eth === null, n < 14 + 4 * tags, `${name} parseEthernet at ${n}`);
      if (!eth) continue;
      if (name === 'arp' || name === 'rarp' || name === 'qinq') {
        assert.equal(parseArp(b, eth.payloadOffset) === null, n < eth.payloadOffset + 28, `${name} parseArp at ${n}`);
      } else {
        const ipLen = parseIpv4(full, 14)!.totalLength;
        const ip = parseIpv4(b, eth.payloadOffset);
        assert.equal(ip === null, n < 14 + ipLen, `${name} parseIpv4 at ${n}`);
        // the IP payload window cut short: ICMP/UDP parsers see the cut, not the IP length
        const l4 = b.subarray(34);
        if (name === 'udp') assert.equal(parseUdp(l4) === null, l4.length < 38, `udp at ${n}`);
        if (name === 'icmp') assert.equal(parseIcmp(l4) === null, l4.length < 8, `icmp at ${n}`);
      }
    }
  }
});

test('bad windows (negative, reversed, past the end, fractional) give null', () => {
  const b = SAMPLES[2]![1];
  for (const [off, end] of [[-1, 10], [10, 5], [0, b.length + 1], [0.5, 40], [Number.NaN, 40]]) {
    assert.equal(parseIpv4(b, off, end), null);
    assert.equal(parseArp(b, off, end), null);
    assert.equal(parseIcmp(b, off, end), null);
    assert.equal(parseUdp(b, off, end), null);
  }
});

test('100k random buffers: no parser throws (fast-check, fixed seed)', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (b) => { parseAll(b); }), { seed: 20240601, numRuns: 100_000 });
});

test('20k mutated valid frames: no parser throws, invariants hold', () => {
  const sample = fc.constantFrom(...SAMPLES.map(([, f]) => f));
  const mutation = fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
  fc.assert(fc.property(sample, mutation, fc.nat(200), (f, muts, cut) => {
    const b = f.slice(0, Math.max(cut, 14));
    for (const [i, v] of muts) if (i < b.length) b[i] = v;
    parseAll(b);
  }), { seed: 7, numRuns: 20_000 });
});

// ---------------------------------------------------------------- fast path sanity

test('fast-path readers: 1M frames through frameDst/frameSrc/etherTypeOf/innerVlanOf (no timing assert)', (t) => {
  const frames = SAMPLES.map(([, f]) => f);
  let acc = 0;
  const n = 1_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const f = frames[i % frames.length]!;
    const dst = frameDst(f);
    acc += (isMulticastMac(dst) ? 1 : 0) + (frameSrc(f) === M_A ? 1 : 0) + etherTypeOf(f) + innerVlanOf(f);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  assert.ok(acc > 0);
  t.diagnostic(`${n} frames in ${(ns / 1e6).toFixed(1)} ms (${(n / (ns / 1e9) / 1e6).toFixed(1)} M frames/s)`);
});
