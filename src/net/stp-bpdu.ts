// Spanning-tree BPDUs on the wire (IEEE 802.1D-1998 §9): the bridge group address, an 802.3
// frame with LLC 42-42-03, and the 35-byte configuration BPDU. nestlab computes the tree
// centrally (stp.ts) and does not exchange BPDUs between STP bridges frame by frame; real BPDU
// frames are still what Linux bridges with `stp: true` send every hello time (R8.4) and what
// guests may send — frames that non-STP devices pass on (R8.4, R1.14) and that BPDU guard trips
// on (R9.9). Also the port-state codes the switches' data planes read (pswitch.ts, bridge.ts).
import { buildEthernet, readMac } from './codec/index.js';
import type { Port } from './fabric.js';

/** The Bridge Group Address every 802.1D BPDU goes to. */
export const BPDU_MAC = 0x0180_c200_0000;

/**
 * Is the frame a BPDU, i.e. addressed to 01:80:c2:00:00:00? Reads the destination in place,
 * allocation-free; the first byte settles it for almost every other frame.
 */
export function isBpduAt(frame: Uint8Array): boolean {
  return frame[0] === 0x01 && frame[1] === 0x80 && frame[2] === 0xc2 && frame[3] === 0 && frame[4] === 0 && frame[5] === 0;
}

/** A port's data-plane state (R9.9): forwarding; learning (learns, forwards nothing); discarding (blocking, listening). */
export const STP_FORWARDING = 0;
export const STP_LEARNING = 1;

/** Why a port that is not forwarding (learning, or discarding) drops a frame sent out of it (R9.9). */
export function notForwarding(state: number): 'stp-learning' | 'stp-blocking' {
  return state === STP_LEARNING ? 'stp-learning' : 'stp-blocking';
}
export const STP_DISCARDING = 2;

/** What a switch running STP hands the BPDUs it receives to (stp.ts). */
export interface BpduSink {
  bpdu(port: Port, frame: Uint8Array, vid: number): void;
}

/** A bridge identifier: priority and MAC (802.1D §9.2.5); lower is better. */
export interface BridgeId {
  priority: number;
  mac: number;
}

export interface ConfigBpdu {
  root: BridgeId;
  rootCost: number;
  bridge: BridgeId;
  /** port identifier: priority in the high byte, port number in the low one (802.1D-1998 §9.2.7) */
  portId: number;
  /** seconds */
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
  topologyChange?: boolean;
}

const LLC_LEN = 3;
const BPDU_LEN = 35;

/** A configuration BPDU frame from `src` (802.3 length 38, LLC 42-42-03, padded to 60 bytes). */
export function configBpduFrame(src: number, b: ConfigBpdu): Uint8Array {
  const p = new Uint8Array(LLC_LEN + BPDU_LEN);
  p.set([0x42, 0x42, 0x03], 0); // DSAP, SSAP: the spanning tree protocol; UI
  const v = new DataView(p.buffer);
  // protocol id 0, version 0 (802.1D), type 0 (configuration)
  p[LLC_LEN + 4] = b.topologyChange ? 0x01 : 0x00;
  writeBridgeId(v, LLC_LEN + 5, b.root);
  v.setUint32(LLC_LEN + 13, b.rootCost);
  writeBridgeId(v, LLC_LEN + 17, b.bridge);
  v.setUint16(LLC_LEN + 25, b.portId);
  v.setUint16(LLC_LEN + 27, 0); // message age
  v.setUint16(LLC_LEN + 29, b.maxAge * 256); // times in 1/256 s
  v.setUint16(LLC_LEN + 31, b.helloTime * 256);
  v.setUint16(LLC_LEN + 33, b.forwardDelay * 256);
  return buildEthernet({ dst: BPDU_MAC, src, etherType: LLC_LEN + BPDU_LEN, payload: p });
}

/** The fields of a configuration BPDU frame, or null when it is not one. */
export function parseConfigBpdu(frame: Uint8Array): ConfigBpdu | null {
  if (frame.length < 14 + LLC_LEN + BPDU_LEN || !isBpduAt(frame)) return null;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const o = 14 + LLC_LEN;
  if (frame[14] !== 0x42 || frame[15] !== 0x42 || v.getUint16(o) !== 0 || frame[o + 3] !== 0) return null;
  return {
    root: readBridgeId(frame, v, o + 5), rootCost: v.getUint32(o + 13), bridge: readBridgeId(frame, v, o + 17), portId: v.getUint16(o + 25),
    maxAge: v.getUint16(o + 29) / 256, helloTime: v.getUint16(o + 31) / 256, forwardDelay: v.getUint16(o + 33) / 256, topologyChange: (frame[o + 4]! & 1) === 1,
  };
}

function writeBridgeId(v: DataView, off: number, id: BridgeId): void {
  v.setUint16(off, id.priority);
  v.setUint16(off + 2, Math.floor(id.mac / 0x1_0000_0000));
  v.setUint32(off + 4, id.mac % 0x1_0000_0000);
}

function readBridgeId(frame: Uint8Array, v: DataView, off: number): BridgeId {
  return { priority: v.getUint16(off), mac: readMac(frame, off + 2) };
}

/** Compare bridge ids: priority, then MAC (802.1D §9.2.5). */
export function compareBridgeIds(a: BridgeId, b: BridgeId): number {
  return a.priority - b.priority || a.mac - b.mac;
}

/** `32768.001b.d4a1.02c3`, as Cisco's `show spanning-tree` writes priority and address. */
export function formatBridgeId(id: BridgeId): string {
  const hex = id.mac.toString(16).padStart(12, '0');
  return `${id.priority}.${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8)}`;
}
