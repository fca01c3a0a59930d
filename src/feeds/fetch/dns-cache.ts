/**
 * A small caching DNS lookup with node's `dns.lookup` signature (as `net.connect` / undici's
 * `connect.lookup` call it). Answers are kept for `ttlMs` (getaddrinfo gives no TTLs), concurrent
 * lookups of the same name share one query, and the cache is bounded (oldest entries evicted first).
 * Failures are not cached.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';

export interface CachingLookupOptions {
  /** How long an answer is reused. Default 60 s. */
  ttlMs?: number;
  /** Most names kept. Default 1000. */
  maxEntries?: number;
  /** The underlying resolver. Default `dns.lookup`. */
  resolver?: LookupFunction;
  /** Clock, for tests. */
  now?: () => number;
}

export interface CachingLookup extends LookupFunction {
  /** Drop every cached answer. */
  clear(): void;
  /** Number of cached names. */
  readonly size: number;
}

interface Entry {
  addresses: LookupAddress[];
  expires: number;
}

export function createCachingLookup(opts: CachingLookupOptions = {}): CachingLookup {
  const ttlMs = opts.ttlMs ?? 60_000;
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const resolver: LookupFunction = opts.resolver ?? (dns.lookup as unknown as LookupFunction);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inflight = new Map<string, Promise<LookupAddress[]>>();

  const resolveAll = (hostname: string, family: number): Promise<LookupAddress[]> =>
    new Promise((resolve, reject) => {
      const o: LookupOptions = { all: true };
      if (family === 4 || family === 6) o.family = family;
      resolver(hostname, o, (err, address, fam) => {
        if (err) return reject(err);
        resolve(Array.isArray(address) ? address : [{ address, family: fam ?? (address.includes(':') ? 6 : 4) }]);
      });
    });

  const get = (hostname: string, family: number): Promise<LookupAddress[]> => {
    const key = `${family}|${hostname.toLowerCase()}`;
    const hit = cache.get(key);
    if (hit) {
      if (hit.expires > now()) return Promise.resolve(hit.addresses);
      cache.delete(key);
    }
    const pending = inflight.get(key);
    if (pending) return pending;
    const p = resolveAll(hostname, family)
      .then((addresses) => {
        if (ttlMs > 0 && addresses.length > 0) {
          cache.delete(key);
          cache.set(key, { addresses, expires: now() + ttlMs });
          while (cache.size > maxEntries) {
            const oldest = cache.keys().next().value;
            if (oldest === undefined) break;
            cache.delete(oldest);
          }
        }
        return addresses;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };

  const lookup = ((hostname: string, options: LookupOptions | number | undefined, callback?: unknown) => {
    // Accept the (hostname, callback) and (hostname, family, callback) forms too.
    let o: LookupOptions;
    let cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
    if (typeof options === 'function') {
      cb = options as typeof cb;
      o = {};
    } else {
      cb = callback as typeof cb;
      o = typeof options === 'number' ? { family: options } : (options ?? {});
    }
    const family = o.family === 4 || o.family === 'IPv4' ? 4 : o.family === 6 || o.family === 'IPv6' ? 6 : 0;
    get(hostname, family).then(
      (addresses) => {
        if (o.all) cb(null, addresses.map((a) => ({ ...a })));
        else {
          const first = addresses[0]!;
          cb(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => cb(err, ''),
    );
  }) as CachingLookup;

  Object.defineProperty(lookup, 'size', { get: () => cache.size });
  lookup.clear = () => cache.clear();
  return lookup;
}

/** Process-wide cache used by the fetcher unless a lookup is injected. */
export const cachedLookup: CachingLookup = createCachingLookup();
