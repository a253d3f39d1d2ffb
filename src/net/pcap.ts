// Classic libpcap capture files: magic 0xa1b2c3d4 (microseconds), v2.4, snaplen 65535,
// linktype 1 (Ethernet). Timestamps are nestlab's virtual seconds. Writes are buffered and
// synchronous (openSync / writeSync); write wire bytes (outer tag included: withOuterTag).

import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
export const PCAP_SNAPLEN = 65535;
export const LINKTYPE_ETHERNET = 1;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const BUFFER_SIZE = 1 << 16;

export class PcapWriter {
  private fd: number | null;
  private readonly buf = new Uint8Array(BUFFER_SIZE);
  private readonly view = new DataView(this.buf.buffer);
  private used = 0;
  /** Records written so far. */
  count = 0;

  /** `append`: add records to an existing capture (a capture spans several commands). */
  constructor(readonly path: string, opts: { append?: boolean } = {}) {
    if (opts.append && existsSync(path) && statSync(path).size >= FILE_HEADER) {
      this.fd = openSync(path, 'a');
      return;
    }
    this.fd = openSync(path, 'w');
    const v = this.view;
    v.setUint32(0, MAGIC_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, PCAP_SNAPLEN, true);
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    this.used = FILE_HEADER;
  }

  /** Append one frame at virtual time `timestampSeconds` (≥ 0; rounded to the microsecond). */
  write(timestampSeconds: number, wireBytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`pcap ${this.path} is closed`);
    if (!(timestampSeconds >= 0) || !Number.isFinite(timestampSeconds)) {
      throw new RangeError(`bad pcap timestamp ${timestampSeconds}`);
    }
    const us = Math.round(timestampSeconds * 1e6);
    const sec = Math.floor(us / 1e6);
    const incl = Math.min(wireBytes.length, PCAP_SNAPLEN);
    if (this.used + RECORD_HEADER > BUFFER_SIZE) this.flush();
    const v = this.view;
    v.setUint32(this.used, sec, true);
    v.setUint32(this.used + 4, us - sec * 1e6, true);
    v.setUint32(this.used + 8, incl, true);
    v.setUint32(this.used + 12, wireBytes.length, true);
    this.used += RECORD_HEADER;
    if (this.used + incl > BUFFER_SIZE) {
      this.flush();
      writeSync(this.fd, wireBytes, 0, incl);
    } else {
      this.buf.set(incl === wireBytes.length ? wireBytes : wireBytes.subarray(0, incl), this.used);
      this.used += incl;
    }
    this.count++;
  }

  /** Write buffered records to the file. */
  flush(): void {
    if (this.fd === null || this.used === 0) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  /** How many records a capture file holds. */
  static count(path: string): number {
    return readPcap(path).length;
  }

  /** Flush and close; further close() calls do nothing. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}

export interface PcapRecord {
  ts: number;
  data: Uint8Array;
  /** Length on the wire (larger than data.length if the frame was cut at the snaplen). */
  origLen: number;
}

/** Read a classic pcap file (either byte order, µs or ns). Throws on a file that is not one. */
export function readPcap(path: string): PcapRecord[] {
  const bytes = readFileSync(path);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < FILE_HEADER) throw new Error(`${path}: too short for a pcap header`);
  let le: boolean;
  let magic = v.getUint32(0, true);
  if (magic === MAGIC_US || magic === MAGIC_NS) le = true;
  else {
    magic = v.getUint32(0, false);
    if (magic !== MAGIC_US && magic !== MAGIC_NS) throw new Error(`${path}: not a pcap file`);
    le = false;
  }
  const frac = magic === MAGIC_NS ? 1e9 : 1e6;
  const out: PcapRecord[] = [];
  let off = FILE_HEADER;
  while (off + RECORD_HEADER <= bytes.length) {
    const incl = v.getUint32(off + 8, le);
    if (off + RECORD_HEADER + incl > bytes.length) throw new Error(`${path}: truncated record at byte ${off}`);
    out.push({
      ts: v.getUint32(off, le) + v.getUint32(off + 4, le) / frac,
      data: new Uint8Array(bytes.subarray(off + RECORD_HEADER, off + RECORD_HEADER + incl)),
      origLen: v.getUint32(off + 12, le),
    });
    off += RECORD_HEADER + incl;
  }
  if (off !== bytes.length) throw new Error(`${path}: trailing ${bytes.length - off} bytes`);
  return out;
}
