// Fault injection for the fake Discord: what an unlucky network and a busy Discord do to a bot.
//
// Two ways to inject, both matched against the request path (`/channels/1/messages`) and `METHOD path`:
// - `failNext(route, fault, count)`: the next `count` matching requests get `fault` (exact, for unit tests);
// - `setPlan(plan)`: every matching request draws a fault from a seeded PRNG (for soaks). Draws happen in request
//   arrival order, so the same sequence of requests gets the same faults for the same seed.
//
// A fault is an answer instead of the real one (500/502/503, a 429 with the headers @discordjs/rest reads), a
// *lost response* (the request IS handled — a message is created — then the connection is closed without an
// answer), or a *slow* answer (the real answer, late).
import type { ServerResponse } from 'node:http';
import { prng } from '../../../bench/prng.js';
import { bucketHash, errorBody, type Reply } from './util.js';

export type FailResponse =
  | { status: 429; retryAfterSeconds: number; global?: boolean }
  | { status: 500 | 502 | 503 }
  /**
   * The request is handled, then the connection is dropped: `close` ends it without an answer (the client sees
   * "other side closed"), `reset` sends a TCP RST (the client sees ECONNRESET, which @discordjs/rest retries).
   */
  | { lost: 'close' | 'reset' }
  /** The real answer, `delayMs` late (the request is handled after the delay). */
  | { slowMs: number }
  /** The request is handled at once (a message is created), its answer sent `lateAnswerMs` later: a client that dies meanwhile never learns of it. */
  | { lateAnswerMs: number };

export type FaultKind = '500' | '502' | '503' | '429' | '429-global' | 'lost-close' | 'lost-reset' | 'slow' | 'late-answer';

export interface FaultEvent {
  at: number;
  method: string;
  path: string;
  kind: FaultKind;
}

/** Per-request probabilities (their sum must be ≤ 1; the rest of the time the request is answered normally). */
export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultPlan {
  seed: number;
  /** Requests that may fail, tested against the path and `METHOD path`. */
  route: RegExp;
  rates: FaultRates;
  /** 429s carry a Retry-After drawn from [min, max] seconds. Default [0.05, 0.5]. */
  retryAfterSeconds?: [number, number];
  /** Slow answers wait [min, max] ms. Default [100, 1000]. */
  slowMs?: [number, number];
  /**
   * Outages: with this probability a matching request starts a run of `outageLength` [min, max] requests that all
   * fail (503 or a lost response, drawn per request), enough to exhaust the client's own retries. Default 0.
   */
  outageRate?: number;
  outageLength?: [number, number];
}

/** What the server does with one request. */
export type Decision =
  | { kind: 'answer'; reply: Reply }
  | { kind: 'lost'; how: 'close' | 'reset' }
  | { kind: 'slow'; ms: number }
  | { kind: 'late'; ms: number }
  | null;

function kindOf(r: FailResponse): FaultKind {
  if ('lost' in r) return r.lost === 'close' ? 'lost-close' : 'lost-reset';
  if ('slowMs' in r) return 'slow';
  if ('lateAnswerMs' in r) return 'late-answer';
  if (r.status === 429) return r.global ? '429-global' : '429';
  return String(r.status) as FaultKind;
}

/** A 429 as Discord sends it; @discordjs/rest reads only the headers (the JSON retry_after is ignored). */
export function rateLimitReply(retryAfterSeconds: number, global: boolean, bucket: string): Reply {
  const headers: Record<string, string> = {
    'retry-after': String(retryAfterSeconds),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': ((Date.now() + retryAfterSeconds * 1000) / 1000).toFixed(3),
    'x-ratelimit-reset-after': retryAfterSeconds.toFixed(3),
    'x-ratelimit-bucket': bucket,
    'x-ratelimit-scope': global ? 'global' : 'user',
    ...(global ? { 'x-ratelimit-global': 'true' } : {}),
  };
  return {
    status: 429,
    headers,
    body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global, ...(global ? { code: 0 } : {}) },
  };
}

export function serverErrorReply(status: 500 | 502 | 503): Reply {
  const text = status === 500 ? 'Internal Server Error' : status === 502 ? 'Bad Gateway' : 'Service Unavailable';
  return { status, body: errorBody(0, `${status}: ${text}`) };
}

function toDecision(r: FailResponse, bucketKey: string): Exclude<Decision, null> {
  if ('lost' in r) return { kind: 'lost', how: r.lost };
  if ('slowMs' in r) return { kind: 'slow', ms: r.slowMs };
  if ('lateAnswerMs' in r) return { kind: 'late', ms: r.lateAnswerMs };
  if (r.status === 429) return { kind: 'answer', reply: rateLimitReply(r.retryAfterSeconds, !!r.global, bucketHash(bucketKey)) };
  return { kind: 'answer', reply: serverErrorReply(r.status) };
}

function matches(route: RegExp, method: string, path: string): boolean {
  route.lastIndex = 0;
  if (route.test(path)) return true;
  route.lastIndex = 0;
  return route.test(`${method} ${path}`);
}

export class FaultInjector {
  /** Every fault injected, in order. */
  readonly events: FaultEvent[] = [];
  private readonly queued: { route: RegExp; response: FailResponse; remaining: number }[] = [];
  private plan: { plan: FaultPlan; random: () => number; outageLeft: number } | null = null;

  failNext(route: RegExp, response: FailResponse, count = 1): void {
    this.queued.push({ route, response, remaining: count });
  }

  /** Replaces the random plan (null stops random faults; queued `failNext` faults stay). */
  setPlan(plan: FaultPlan | null): void {
    if (plan) {
      const total = Object.values(plan.rates).reduce((a, b) => a + (b ?? 0), 0);
      if (total > 1) throw new Error(`fake-discord: fault rates add up to ${total} (> 1)`);
    }
    this.plan = plan ? { plan, random: prng(plan.seed), outageLeft: 0 } : null;
  }

  /** The fault for this request, if any. `bucketKey` names the rate-limit bucket (`METHOD template`). */
  decide(method: string, path: string, bucketKey: string): Decision {
    for (const f of this.queued) {
      if (f.remaining <= 0 || !matches(f.route, method, path)) continue;
      f.remaining--;
      if (f.remaining <= 0) this.queued.splice(this.queued.indexOf(f), 1);
      return this.record(method, path, f.response, bucketKey);
    }
    const p = this.plan;
    if (!p || !matches(p.plan.route, method, path)) return null;
    const r = p.random;
    const between = ([lo, hi]: [number, number]) => lo + r() * (hi - lo);
    if (p.outageLeft === 0 && p.plan.outageRate && r() < p.plan.outageRate) {
      const [lo, hi] = p.plan.outageLength ?? [4, 8];
      p.outageLeft = Math.round(between([lo, hi]));
    }
    if (p.outageLeft > 0) {
      p.outageLeft--;
      return this.record(method, path, r() < 0.5 ? { status: 503 } : { lost: 'close' }, bucketKey);
    }
    let x = r();
    for (const [kind, rate] of Object.entries(p.plan.rates) as [FaultKind, number][]) {
      if (x >= rate) {
        x -= rate;
        continue;
      }
      const retryAfter = Math.round(between(p.plan.retryAfterSeconds ?? [0.05, 0.5]) * 1000) / 1000;
      const response: FailResponse =
        kind === '429' || kind === '429-global'
          ? { status: 429, retryAfterSeconds: retryAfter, global: kind === '429-global' }
          : kind === 'lost-close' || kind === 'lost-reset'
            ? { lost: kind === 'lost-close' ? 'close' : 'reset' }
            : kind === 'slow'
              ? { slowMs: Math.round(between(p.plan.slowMs ?? [100, 1000])) }
              : { status: Number(kind) as 500 | 502 | 503 };
      return this.record(method, path, response, bucketKey);
    }
    return null;
  }

  /** How many faults of each kind were injected. */
  counts(): Partial<Record<FaultKind, number>> {
    const out: Partial<Record<FaultKind, number>> = {};
    for (const e of this.events) out[e.kind] = (out[e.kind] ?? 0) + 1;
    return out;
  }

  private record(method: string, path: string, response: FailResponse, bucketKey: string): Exclude<Decision, null> {
    this.events.push({ at: Date.now(), method, path, kind: kindOf(response) });
    return toDecision(response, bucketKey);
  }
}

/** Ends a request without an answer: a FIN (`close`) or a TCP RST (`reset`). */
export function dropConnection(res: ServerResponse, how: 'close' | 'reset'): void {
  const socket = res.socket;
  if (!socket) return;
  if (how === 'reset' && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
