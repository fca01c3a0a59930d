import type { LookupFunction } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  BlockedAddressError,
  checkHost,
  guardedLookup,
  isBlockedAddress,
  literalIp,
} from '../../../src/feeds/fetch/address-guard.js';
import { createCachingLookup } from '../../../src/feeds/fetch/dns-cache.js';

const blocked: string[] = [
  // IPv4
  '127.0.0.1',
  '127.255.255.254',
  '10.0.0.5',
  '10.255.255.255',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '100.64.0.1',
  '100.127.255.255',
  '169.254.169.254',
  '169.254.0.1',
  '0.0.0.0',
  '0.1.2.3',
  '224.0.0.1',
  '239.255.255.250',
  '255.255.255.255',
  '240.0.0.1',
  '192.0.2.1', // TEST-NET-1
  '198.51.100.7', // TEST-NET-2
  '203.0.113.9', // TEST-NET-3
  '198.18.0.1', // benchmarking
  // IPv6
  '::1',
  '::',
  'fe80::1',
  'fe80::1%eth0',
  'febf::1',
  'fc00::1',
  'fd12:3456:789a::1',
  'ff02::1',
  'ff05::2',
  'fec0::1', // site-local (deprecated)
  '2001:db8::1', // documentation
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::ffff:192.168.0.1',
  '::127.0.0.1', // IPv4-compatible
  '64:ff9b::7f00:1', // NAT64 of 127.0.0.1
  '64:ff9b::a00:1', // NAT64 of 10.0.0.1
  '2002:7f00:1::1', // 6to4 of 127.0.0.1
  '2002:c0a8:101::1', // 6to4 of 192.168.1.1
  '[::1]',
  // not addresses at all → fail closed
  'localhost',
  '',
  'not-an-ip',
];

const allowed: string[] = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '172.15.255.255', // just below 172.16/12
  '172.32.0.1', // just above
  '100.63.255.255', // just below CGNAT
  '100.128.0.1', // just above
  '192.169.0.1',
  '169.253.255.255',
  '11.0.0.1',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '2a00:1450:4001:80b::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808', // NAT64 of 8.8.8.8
  '2002:808:808::1', // 6to4 of 8.8.8.8
  '[2606:4700:4700::1111]',
];

describe('isBlockedAddress', () => {
  it.each(blocked)('blocks %s', (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });
  it.each(allowed)('allows %s', (ip) => {
    expect(isBlockedAddress(ip)).toBe(false);
  });
});

describe('literalIp', () => {
  it('recognises IPv4 and bracketed IPv6 hostnames', () => {
    expect(literalIp('127.0.0.1')).toBe('127.0.0.1');
    expect(literalIp('[::1]')).toBe('::1');
    expect(literalIp(new URL('http://[::ffff:127.0.0.1]/').hostname)).toBe('::ffff:7f00:1');
    expect(literalIp('feeds.example')).toBeNull();
    expect(literalIp('1.2.3.4.example')).toBeNull();
  });
  it('URL normalises odd IPv4 spellings before the guard sees them', () => {
    const host = new URL('http://0x7f.1/').hostname;
    expect(host).toBe('127.0.0.1');
    expect(isBlockedAddress(literalIp(host)!)).toBe(true);
  });
});

function fakeLookup(table: Record<string, string[]>): LookupFunction {
  return (hostname, options, cb) => {
    const list = table[hostname];
    if (!list) {
      const e = new Error(`getaddrinfo ENOTFOUND ${hostname}`) as NodeJS.ErrnoException;
      e.code = 'ENOTFOUND';
      return cb(e, '', undefined);
    }
    const addrs = list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) cb(null, addrs);
    else cb(null, addrs[0]!.address, addrs[0]!.family);
  };
}

describe('checkHost', () => {
  const lookup = fakeLookup({
    'public.test': ['93.184.216.34'],
    'private.test': ['10.0.0.5'],
    'mixed.test': ['93.184.216.34', '127.0.0.1'],
    'meta.test': ['169.254.169.254'],
  });

  it('resolves a public name', async () => {
    await expect(checkHost('public.test', lookup)).resolves.toEqual(['93.184.216.34']);
  });
  it('refuses a name resolving to a private address, with a readable message', async () => {
    const err = await checkHost('private.test', lookup).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect((err as Error).message).toBe('refused: private.test resolves to a private address (10.0.0.5)');
  });
  it('refuses when any answer is blocked', async () => {
    await expect(checkHost('mixed.test', lookup)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(checkHost('meta.test', lookup)).rejects.toThrow(/link-local/);
  });
  it('checks literal IPs without DNS', async () => {
    await expect(checkHost('127.0.0.1', lookup)).rejects.toThrow('refused: 127.0.0.1 is a loopback address');
    await expect(checkHost('[::1]', lookup)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(checkHost('8.8.8.8', lookup)).resolves.toEqual(['8.8.8.8']);
  });
  it('passes DNS errors through', async () => {
    await expect(checkHost('nope.test', lookup)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
  it('honours a custom isBlocked hook', async () => {
    const loopbackIsPublic = (ip: string) => ip !== '127.0.0.1' && isBlockedAddress(ip);
    await expect(checkHost('127.0.0.1', lookup, loopbackIsPublic)).resolves.toEqual(['127.0.0.1']);
  });
});

describe('guardedLookup', () => {
  const call = (lk: LookupFunction, host: string, all: boolean) =>
    new Promise<unknown>((resolve, reject) =>
      lk(host, { all }, (err, address, family) => (err ? reject(err) : resolve(all ? address : [address, family]))),
    );
  const lk = guardedLookup(fakeLookup({ 'public.test': ['93.184.216.34', '2606:4700::1'], 'evil.test': ['127.0.0.1'] }));

  it('returns the checked answers in both callback forms', async () => {
    await expect(call(lk, 'public.test', true)).resolves.toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
    await expect(call(lk, 'public.test', false)).resolves.toEqual(['93.184.216.34', 4]);
  });
  it('refuses a blocked answer at connect time', async () => {
    await expect(call(lk, 'evil.test', true)).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(call(lk, 'evil.test', false)).rejects.toBeInstanceOf(BlockedAddressError);
  });
});

describe('createCachingLookup', () => {
  it('caches answers for the TTL, dedupes concurrent lookups, and stays bounded', async () => {
    let calls = 0;
    let now = 0;
    const resolver: LookupFunction = (hostname, _o, cb) => {
      calls++;
      setTimeout(() => cb(null, [{ address: '93.184.216.34', family: 4 }]), 5);
    };
    const lk = createCachingLookup({ resolver, ttlMs: 1000, maxEntries: 2, now: () => now });
    const get = (h: string) =>
      new Promise<string>((resolve, reject) => lk(h, {}, (e, a) => (e ? reject(e) : resolve(a as string))));
    const [a, b] = await Promise.all([get('a.test'), get('a.test')]);
    expect([a, b]).toEqual(['93.184.216.34', '93.184.216.34']);
    expect(calls).toBe(1);
    await get('a.test');
    expect(calls).toBe(1);
    now = 1001;
    await get('a.test');
    expect(calls).toBe(2);
    await get('b.test');
    await get('c.test');
    expect(lk.size).toBe(2);
  });
  it('does not cache failures', async () => {
    let calls = 0;
    const resolver: LookupFunction = (hostname, _o, cb) => {
      calls++;
      const e = new Error('ENOTFOUND') as NodeJS.ErrnoException;
      e.code = 'ENOTFOUND';
      cb(e, '', undefined);
    };
    const lk = createCachingLookup({ resolver });
    const get = () => new Promise<unknown>((resolve) => lk('x.test', { all: true }, (e) => resolve(e)));
    await get();
    await get();
    expect(calls).toBe(2);
  });
});
