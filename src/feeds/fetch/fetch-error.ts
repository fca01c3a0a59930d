// Why a fetch failed, in one plain line a Discord user can act on, and the mapping from network errors to it.
import { STATUS_CODES } from 'node:http';
import { BlockedAddressError } from './address-guard.js';

export type FetchErrorCode =
  | 'bad-url'
  | 'blocked-address'
  | 'dns'
  | 'timeout'
  | 'too-large'
  | 'too-many-redirects'
  | 'http-status'
  | 'network';

/** A failed fetch. `message` is one plain line fit to show a Discord user. */
export class FetchError extends Error {
  readonly code: FetchErrorCode;
  readonly status?: number;
  readonly url: string;
  /** From Retry-After (seconds or HTTP date) on an error status, when given. */
  readonly retryAfterSeconds?: number;

  constructor(
    code: FetchErrorCode,
    message: string,
    url: string,
    extra: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message.replace(/[\r\n]+/g, ' '), extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'FetchError';
    this.code = code;
    this.url = url;
    if (extra.status !== undefined) this.status = extra.status;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
  }
}

export function statusMessage(status: number): string {
  const text = STATUS_CODES[status] ?? 'Unknown Status';
  const base = `the feed answered ${status} ${text}`;
  if (status === 404) return `${base} — check the URL`;
  if (status === 410) return `${base} — the feed has been removed`;
  if (status === 401 || status === 403) return `${base} — the site doesn't let the bot read it`;
  if (status === 429) return `${base} — the site asks us to slow down`;
  if (status >= 500) return `${base} — the site is having trouble, will retry later`;
  return base;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return s >= 1 ? `${Math.round(s * 10) / 10} s` : `${ms} ms`;
}

function isTimeoutError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'ETIMEDOUT' ||
    (e as Error | null)?.name === 'TimeoutError'
  );
}

/** Walk `.cause` chains to find an error matching `pred`. */
function findCause<T>(e: unknown, pred: (x: unknown) => x is T): T | null {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    if (pred(cur)) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENODATA', 'EAI_NONAME', 'EAI_FAIL', 'ESERVFAIL']);

/** Any failure of a fetch as a FetchError with a user-facing message (a member's own abort passes through as is). */
export function translateError(e: unknown, url: string, ctx: { timedOut: boolean; timeoutMs: number; userAborted: boolean; userReason: unknown }): unknown {
  if (e instanceof FetchError) return e;
  if (ctx.userAborted && !ctx.timedOut) return ctx.userReason ?? e;
  if (ctx.timedOut || findCause(e, (x): x is Error => isTimeoutError(x))) {
    const hint = ctx.timedOut ? formatSeconds(ctx.timeoutMs) : undefined;
    return new FetchError(
      'timeout',
      hint ? `the feed took longer than ${hint} to answer` : 'the feed took too long to answer',
      url,
      { cause: e },
    );
  }
  const blocked = findCause(e, (x): x is BlockedAddressError => x instanceof BlockedAddressError);
  if (blocked) return new FetchError('blocked-address', blocked.message, url, { cause: e });
  const host = safeHost(url);
  const coded = findCause(e, (x): x is NodeJS.ErrnoException => typeof (x as { code?: unknown })?.code === 'string');
  const code = coded?.code ?? '';
  if (DNS_CODES.has(code)) {
    return new FetchError('dns', `couldn't find the host ${host} (DNS lookup failed)`, url, { cause: e });
  }
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    EPIPE: 'connection closed',
    UND_ERR_SOCKET: 'connection closed unexpectedly',
    UND_ERR_CLOSED: 'connection closed',
    HPE_INVALID_CONSTANT: 'the server sent an invalid HTTP response',
  };
  const tlsish = /CERT|SSL|TLS|_KEY_|SELF_SIGNED/i.test(code);
  const reason = why[code] ?? (tlsish ? 'TLS certificate problem' : code.startsWith('HPE_') ? 'invalid HTTP response' : 'network error');
  return new FetchError('network', `couldn't reach ${host} (${reason})`, url, { cause: e });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.slice(0, 100);
  }
}
