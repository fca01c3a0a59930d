/**
 * Address guard: keeps the fetcher away from loopback, private, link-local and other non-public targets
 * (SSRF protection — a feed URL is user input).
 *
 * The fetcher checks the host before every hop (first request and each redirect) and connects through
 * `guardedLookup`, which re-checks the very answer the socket is about to use, so a DNS-rebinding answer
 * cannot slip 127.0.0.1 in between the check and the connect.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** IPv4 ranges (ipaddr.js names) that a feed may never point at. */
const BLOCKED_V4 = new Set([
  'unspecified', // 0.0.0.0/8
  'broadcast', // 255.255.255.255
  'multicast', // 224/4
  'linkLocal', // 169.254/16 (cloud metadata 169.254.169.254)
  'loopback', // 127/8
  'carrierGradeNat', // 100.64/10
  'private', // 10/8, 172.16/12, 192.168/16
  'reserved', // 192.0.0/24, TEST-NETs, 198.18/15 benchmarking, 240/4
]);

/** IPv6 ranges that are public unicast; everything else is refused unless it embeds a public IPv4. */
const ALLOWED_V6 = new Set(['unicast', 'as112v6', 'amt', 'droneRemoteIdProtocolEntityTags']);

function v4Blocked(addr: ipaddr.IPv4): boolean {
  return BLOCKED_V4.has(addr.range());
}

function embeddedV4(bytes: number[], offset: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([bytes[offset] ?? 0, bytes[offset + 1] ?? 0, bytes[offset + 2] ?? 0, bytes[offset + 3] ?? 0]);
}

/** Strip `[…]` around an IPv6 literal and any `%zone` suffix. */
function cleanIp(ip: string): string {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  return s;
}

/**
 * True when `ip` must not be fetched from: loopback, private, CGNAT, link-local, unique-local, multicast,
 * unspecified, broadcast, reserved/documentation ranges, and IPv4-mapped / NAT64 / 6to4 forms of those.
 * Anything that isn't a valid IP address is blocked too (fail closed).
 */
export function isBlockedAddress(ip: string): boolean {
  const s = cleanIp(ip);
  if (!ipaddr.isValid(s)) return true;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(s);
  } catch {
    return true;
  }
  if (addr.kind() === 'ipv4') {
    // ipaddr.isValid accepts odd forms ("127.1", "0x7f.0.0.1"); they are still parsed to the right value.
    return v4Blocked(addr as ipaddr.IPv4);
  }
  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  const bytes = v6.toByteArray();
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return v4Blocked(embeddedV4(bytes, 12));
    case 'rfc6052': // NAT64 64:ff9b::a.b.c.d (and the local-use /48)
      if (bytes[4] === 0 && bytes[5] === 0) return v4Blocked(embeddedV4(bytes, 12)); // well-known /96 only
      return true;
    case '6to4': // 2002:AABB:CCDD::/48
      return v4Blocked(embeddedV4(bytes, 2));
    default:
      break;
  }
  if (!ALLOWED_V6.has(range)) return true;
  // IPv4-compatible addresses ::a.b.c.d (deprecated) — ipaddr.js calls them unicast.
  if (bytes.slice(0, 12).every((b) => b === 0)) return true;
  return false;
}

/** A short phrase for messages: "a private address", "a loopback address", … */
function describeAddress(ip: string): string {
  const s = cleanIp(ip);
  if (!ipaddr.isValid(s)) return 'an invalid address';
  let addr = ipaddr.parse(s);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  const range = addr.range();
  switch (range) {
    case 'loopback':
      return 'a loopback address';
    case 'private':
    case 'uniqueLocal':
    case 'carrierGradeNat':
      return 'a private address';
    case 'linkLocal':
      return 'a link-local address';
    case 'multicast':
      return 'a multicast address';
    case 'unspecified':
      return 'an unspecified address';
    case 'broadcast':
      return 'a broadcast address';
    default:
      return 'a non-public address';
  }
}

/** The IP address when `hostname` (as in `URL.hostname`, IPv6 in brackets) is a literal IP, else null. */
export function literalIp(hostname: string): string | null {
  const s = cleanIp(hostname);
  if (ipaddr.IPv6.isValid(s) && s.includes(':')) return s;
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return s;
  return null;
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      literalIp(host) !== null
        ? `refused: ${address} is ${describeAddress(address)}`
        : `refused: ${host} resolves to ${describeAddress(address)} (${address})`,
    );
    this.name = 'BlockedAddressError';
  }
}

export type IsBlocked = (ip: string) => boolean;

/** Promise wrapper around a node-style lookup, always returning every address. */
export function resolveAll(lookup: LookupFunction, hostname: string, options: LookupOptions = {}): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { ...options, all: true }, (err, address, family) => {
      if (err) return reject(err);
      if (Array.isArray(address)) return resolve(address);
      resolve([{ address, family: family ?? (address.includes(':') ? 6 : 4) }]);
    });
  });
}

/**
 * Check a URL hostname: a literal IP is checked directly; a name is resolved through `lookup` and every
 * answer must be allowed. Resolves to the allowed addresses; rejects with BlockedAddressError, or with the
 * lookup's own error (ENOTFOUND…).
 */
export async function checkHost(hostname: string, lookup: LookupFunction, isBlocked: IsBlocked = isBlockedAddress): Promise<string[]> {
  const lit = literalIp(hostname);
  if (lit !== null) {
    if (isBlocked(lit)) throw new BlockedAddressError(hostname, lit);
    return [lit];
  }
  const answers = await resolveAll(lookup, hostname);
  if (answers.length === 0) {
    const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException;
    err.code = 'ENOTFOUND';
    throw err;
  }
  for (const a of answers) if (isBlocked(a.address)) throw new BlockedAddressError(hostname, a.address);
  return answers.map((a) => a.address);
}

/**
 * A `lookup` for `net.connect` / undici's `connect.lookup` that resolves through `lookup` and refuses any
 * answer that is blocked — the check happens on the exact addresses the socket will connect to.
 * Supports both the `all: true` (autoSelectFamily) and the single-address callback forms.
 */
export function guardedLookup(lookup: LookupFunction, isBlocked: IsBlocked = isBlockedAddress): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, address, family) => {
      if (err) return callback(err, '', undefined);
      const list: LookupAddress[] = Array.isArray(address)
        ? address
        : [{ address, family: family ?? (address.includes(':') ? 6 : 4) }];
      const bad = list.find((a) => isBlocked(a.address));
      if (bad) return callback(new BlockedAddressError(hostname, bad.address) as NodeJS.ErrnoException, '', undefined);
      if (list.length === 0) {
        const e = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException;
        e.code = 'ENOTFOUND';
        return callback(e, '', undefined);
      }
      if (options.all) return callback(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
