/**
 * `/pattern/flags` terms: safety analysis at parse time, compile-once cache, and time-bounded evaluation.
 *
 * Technique (two layers, both measured):
 * 1. Parse time: `recheck` (automaton + fuzzing ReDoS checker, pure-JS `checkSync`, deterministic seed) rejects
 *    patterns with exponential backtracking and polynomial ones of degree > 2; a pattern it cannot decide in
 *    time is rejected too. Costs ~1–50 ms per pattern (once, at /subscribe).
 * 2. Match time: every field is cut to `regexInputLength` characters and all the regexes an item needs run in
 *    ONE `vm` script call with a `timeout` (V8 interrupts a backtracking regex). A regex that is still running
 *    when the budget ends counts as not matching that item; after `regexMaxStrikes` timeouts it is disabled
 *    for the process. The watchdog costs ~55 µs per call, so it is paid once per item (only when the item needs
 *    any regex), not per regex. `re2` would make layer 2 unnecessary but needs Node 22.
 */
import vm from 'node:vm';
import { createRequire } from 'node:module';

export const REGEX_LIMITS = {
  maxLength: 100,
  flags: 'imsu',
  inputLength: 2_000,
  timeoutMs: 50,
  maxStrikes: 3,
  maxPolynomialDegree: 2,
  checkTimeoutMs: 1_000,
};

export type SafetyVerdict = { safe: true } | { safe: false; reason: string };

type RecheckModule = {
  checkSync: (
    source: string,
    flags: string,
    params?: { timeout?: number | null; randomSeed?: number },
  ) => {
    status: 'safe' | 'vulnerable' | 'unknown';
    complexity?: { type: string; degree?: number; summary?: string };
    error?: { kind: string };
  };
};
let recheck: RecheckModule | undefined;

/** Decides whether a (syntactically valid) pattern is safe to run on untrusted text. */
export function checkRegexSafety(source: string, flags: string): SafetyVerdict {
  recheck ??= createRequire(import.meta.url)('recheck') as RecheckModule;
  let d;
  try {
    d = recheck.checkSync(source, flags, { timeout: REGEX_LIMITS.checkTimeoutMs, randomSeed: 42 });
  } catch {
    return { safe: false, reason: 'it could not be checked for safety' };
  }
  if (d.status === 'safe') return { safe: true };
  if (d.status === 'vulnerable') {
    const c = d.complexity;
    if (c?.type === 'polynomial' && (c.degree ?? 99) <= REGEX_LIMITS.maxPolynomialDegree) return { safe: true };
    return {
      safe: false,
      reason:
        c?.type === 'exponential'
          ? 'it can take exponential time (nested or overlapping repetition like (a+)+ or (a|a)*)'
          : `it can take ${c?.summary ?? 'polynomial'} time (several unbounded repetitions like .*a.*b.*)`,
    };
  }
  return { safe: false, reason: 'it is too complex to check for safety' };
}

const cache = new Map<string, RegExp>();
const strikes = new Map<string, number>();
const CACHE_MAX = 10_000;

export function regexKey(source: string, flags: string): string {
  return `/${source}/${flags}`;
}

/** Compiled once per distinct pattern (bounded cache). Throws SyntaxError on an invalid pattern. */
export function compileRegex(source: string, flags: string): RegExp {
  const key = regexKey(source, flags);
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(source, flags.replace(/[gy]/g, ''));
    if (cache.size >= CACHE_MAX) {
      const first = cache.keys().next();
      if (!first.done) cache.delete(first.value);
    }
    cache.set(key, re);
  }
  return re;
}

export function isRegexDisabled(key: string): boolean {
  return (strikes.get(key) ?? 0) >= REGEX_LIMITS.maxStrikes;
}

export interface RegexJob {
  key: string;
  re: RegExp;
  texts: string[];
  /** field bit for each text */
  bits: number[];
}

export interface RegexJobResult {
  /** OR of the bits of the texts that matched */
  mask: number;
  timedOut: boolean;
  disabled: boolean;
}

const context = vm.createContext({ __jobs: [] as RegexJob[], __out: [] as number[], __next: 0, __started: 0 });
const script = new vm.Script(`(() => {
  const jobs = globalThis.__jobs, out = globalThis.__out;
  for (let i = globalThis.__next; i < jobs.length; i++) {
    globalThis.__next = i;
    globalThis.__started = Date.now();
    const j = jobs[i], re = j.re, texts = j.texts, bits = j.bits;
    let m = 0;
    for (let k = 0; k < texts.length; k++) if (re.test(texts[k])) m |= bits[k];
    out[i] = m;
  }
  globalThis.__next = jobs.length;
})()`);

/** Cuts a field for regex evaluation. */
export function regexInput(text: string): string {
  return text.length > REGEX_LIMITS.inputLength ? text.slice(0, REGEX_LIMITS.inputLength) : text;
}

/**
 * Runs the jobs in one time-bounded vm call. A job still running after `timeoutMs` is abandoned (not matched)
 * and given a strike; the others continue with a fresh budget. Never throws for a slow pattern.
 */
export function runRegexJobs(jobs: RegexJob[], timeoutMs: number = REGEX_LIMITS.timeoutMs): RegexJobResult[] {
  const results: RegexJobResult[] = jobs.map((j) => ({ mask: 0, timedOut: false, disabled: isRegexDisabled(j.key) }));
  const runnable = jobs.filter((_, i) => !results[i]!.disabled);
  const index = jobs.map((_, i) => i).filter((i) => !results[i]!.disabled);
  if (runnable.length === 0) return results;
  const c = context as unknown as { __jobs: RegexJob[]; __out: number[]; __next: number; __started: number };
  c.__jobs = runnable;
  c.__out = new Array<number>(runnable.length).fill(0);
  c.__next = 0;
  let attempts = 0;
  while (c.__next < runnable.length && attempts++ <= runnable.length * 2 + 2) {
    try {
      script.runInContext(context, { timeout: timeoutMs });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
      const i = c.__next;
      // Blame the running job only if it used a fair share of the budget; otherwise retry it afresh.
      if (Date.now() - c.__started >= timeoutMs / 2 || attempts > runnable.length) {
        const job = runnable[i]!;
        const r = results[index[i]!]!;
        r.timedOut = true;
        strikes.set(job.key, (strikes.get(job.key) ?? 0) + 1);
        c.__out[i] = 0;
        c.__next = i + 1;
      }
    }
  }
  for (let i = 0; i < runnable.length; i++) results[index[i]!]!.mask = c.__out[i] ?? 0;
  c.__jobs = [];
  c.__out = [];
  return results;
}

/** For tests: forget timeouts. */
export function resetRegexStrikes(): void {
  strikes.clear();
}
