// Response headers the poll schedule listens to: freshness (Cache-Control / Expires) and Retry-After, both bounded.
export type HeaderValue = string | string[] | undefined;

/** One response header as a single string (repeated headers joined), or null. */
export function header(headers: Record<string, HeaderValue>, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? (v.length ? v.join(', ') : null) : v;
}

/**
 * Freshness lifetime in seconds from Cache-Control max-age (minus Age), else Expires − Date; capped.
 * `no-store` / `no-cache` → 0. Null when the response says nothing.
 */
export function parseMaxAge(headers: Record<string, HeaderValue>, capSeconds: number, nowMs = Date.now()): number | null {
  const cc = header(headers, 'cache-control');
  let result: number | null = null;
  if (cc) {
    const directives = cc
      .toLowerCase()
      .split(',')
      .map((d) => d.trim());
    if (directives.some((d) => d === 'no-store' || d === 'no-cache')) result = 0;
    else {
      for (const d of directives) {
        const m = /^max-age\s*=\s*"?(\d+)"?$/.exec(d);
        if (m) {
          result = Number(m[1]);
          break;
        }
      }
    }
    if (result !== null && result > 0) {
      const age = Number(header(headers, 'age') ?? '0');
      if (Number.isFinite(age) && age > 0) result = Math.max(0, result - Math.floor(age));
    }
  }
  if (result === null) {
    const expires = header(headers, 'expires');
    if (expires) {
      const exp = Date.parse(expires);
      const dateHeader = header(headers, 'date');
      const base = dateHeader ? Date.parse(dateHeader) : nowMs;
      // An invalid Expires (e.g. "0") means "already expired".
      result = Number.isNaN(exp) ? 0 : Math.max(0, Math.floor((exp - (Number.isNaN(base) ? nowMs : base)) / 1000));
    }
  }
  if (result === null) return null;
  return Math.min(Number.isNaN(result) ? 0 : result, capSeconds, MAX_HEADER_SECONDS);
}

/** Retry-After and max-age beyond this are not believed (a day; the scheduler bounds them again). */
const MAX_HEADER_SECONDS = 24 * 60 * 60;

/** Retry-After as seconds (delta-seconds or HTTP date), at most MAX_HEADER_SECONDS, or undefined. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), MAX_HEADER_SECONDS);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.min(MAX_HEADER_SECONDS, Math.max(0, Math.ceil((t - nowMs) / 1000)));
}

