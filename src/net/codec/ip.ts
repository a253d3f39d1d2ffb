// IPv4 addresses as unsigned 32-bit numbers (10.0.0.1 = 0x0a000001), CIDR helpers.

const IP_TEXT = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** '10.0.0.1' → 0x0a000001. Throws RangeError on anything but a dotted quad of 0..255. */
export function ipToNumber(text: string): number {
  const n = tryIp(text);
  if (n === null) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return n;
}

function tryIp(text: string): number | null {
  const m = IP_TEXT.exec(text);
  if (!m) return null;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n;
}

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** Netmask for a prefix length 0..32 (24 → 0xffffff00). */
export function prefixToMask(prefix: number): number {
  return prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
}

export interface Cidr {
  ip: number;
  prefix: number;
  mask: number;
  network: number;
}

/** '10.0.0.5/24' → { ip, prefix: 24, mask: 0xffffff00, network: 10.0.0.0 }; a bare address is /32. null if malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ip = tryIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return null;
  let prefix = 32;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(p) || Number(p) > 32) return null;
    prefix = Number(p);
  }
  const mask = prefixToMask(prefix);
  return { ip, prefix, mask, network: (ip & mask) >>> 0 };
}

/** Are a and b in the same /prefix network? */
export function sameSubnet(a: number, b: number, prefix: number): boolean {
  const mask = prefixToMask(prefix);
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}
