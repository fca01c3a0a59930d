/**
 * `/pattern/flags` terms: checked and compiled once, run by RE2 (the `re2js` port).
 *
 * RE2 matches in time linear in the input (an automaton, never backtracking), so no accepted pattern can blow up
 * on any text, and nothing here looks at the clock: a result never depends on how busy the machine is. What RE2
 * cannot do in linear time (lookaround, backreferences) is refused at /subscribe with a positioned message.
 * The cost of one test is bounded by the input cut (`inputLength` per field) times the program size
 * (`maxProgramSize`); how many regexes run per item is bounded per guild by the subscription service.
 *
 * This is the one regex runner of the codebase: evaluation, the index and highlighting all come through here.
 */
import { RE2JS } from 're2js';

export const REGEX_LIMITS = {
  /** of the pattern, in characters */
  maxLength: 100,
  /** flags kept; `u` is accepted and dropped (RE2 is Unicode-aware already) */
  flags: 'ims',
  /** accepted in a query (`u` included) */
  acceptedFlags: 'imsu',
  /** characters of one field a regex sees (the categories: of all of them together) */
  inputLength: 2_000,
  /** RE2 program instructions: bounds the work per input character (`(.*a){29}` is 147) */
  maxProgramSize: 250,
  /** compiled patterns kept (least recently used dropped): with dfaBytes, at most 512 MiB however hostile */
  cacheSize: 1_000,
  /** RE2's lazy DFA state cache per compiled pattern (its default is 8 MiB); past it, RE2 falls back to its NFA */
  dfaBytes: 512 * 1024,
  /** highlighted matches per text */
  maxRanges: 200,
} as const;

/** Why a pattern can't be used, and where in the pattern (0-based). */
export interface RegexProblem {
  kind: 'syntax' | 'unsupported' | 'complex';
  /** what is wrong, without a position: "lookahead `(?=…)` isn't supported" */
  message: string;
  /** why, when it is a rule rather than a typo */
  reason?: string;
  /** where in the pattern, or null: the pattern as a whole */
  offset: number | null;
  hint: string;
}

export function regexKey(source: string, flags: string): string {
  return `/${source}/${flags}`;
}

const LINEAR = "Herald's regular expressions run in linear time";
const NO_LOOKAROUND_HINT = 'match the words themselves, or exclude with -/pattern/';

/** Constructs RE2 has no linear-time algorithm for, found before RE2 sees the pattern so the message can name them. */
function unsupportedConstruct(source: string): RegexProblem | null {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (!inClass && n >= '1' && n <= '9')
        return { kind: 'unsupported', message: `backreference \`\\${n}\` isn't supported`, reason: LINEAR, offset: i, hint: 'write out what the group should repeat' };
      if (!inClass && n === 'k' && source[i + 2] === '<')
        return { kind: 'unsupported', message: "backreference `\\k<…>` isn't supported", reason: LINEAR, offset: i, hint: 'write out what the group should repeat' };
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c !== '(' || source[i + 1] !== '?') continue;
    const rest = source.slice(i + 2, i + 4);
    const what = rest.startsWith('=')
      ? 'lookahead `(?=…)`'
      : rest.startsWith('!')
        ? 'negative lookahead `(?!…)`'
        : rest === '<='
          ? 'lookbehind `(?<=…)`'
          : rest === '<!'
            ? 'negative lookbehind `(?<!…)`'
            : rest.startsWith('>')
              ? 'atomic group `(?>…)`'
              : null;
    if (what) return { kind: 'unsupported', message: `${what} isn't supported`, reason: LINEAR, offset: i, hint: NO_LOOKAROUND_HINT };
  }
  return null;
}

/** What JavaScript's `\s` matches (RE2's is ASCII only; news text is full of no-break and thin spaces). */
const JS_SPACE = '\\t\\n\\x0B\\f\\r\\p{Z}\\x{FEFF}';

/** `\s` and `\S` as JavaScript means them (`\S` inside a class keeps RE2's meaning). */
function jsSpaces(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const n = source[i + 1];
      if (n === 's') out += inClass ? JS_SPACE : `[${JS_SPACE}]`;
      else if (n === 'S' && !inClass) out += `[^${JS_SPACE}]`;
      else out += c + (n ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (source[i + 1] === '^') {
        out += '[^';
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function re2Flags(flags: string): number {
  let f = 0;
  if (flags.includes('i')) f |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) f |= RE2JS.MULTILINE;
  if (flags.includes('s')) f |= RE2JS.DOTALL;
  return f;
}

type DfaConstructor = new (prog: unknown, maxMem: number) => unknown;
let dfaConstructor: DfaConstructor | null | undefined;

/**
 * Gives a compiled pattern a smaller DFA cache than RE2's 8 MiB, so thousands of hostile patterns can't hold
 * gigabytes. Uses re2js internals (`re2().lazyDFA`); if they change, RE2's own cap applies and nothing breaks.
 */
function capDfaMemory(re: RE2JS): void {
  try {
    const inner = re.re2() as unknown as { lazyDFA?: unknown; prog?: unknown };
    if (dfaConstructor === undefined) {
      const probe = RE2JS.compile('a').re2() as unknown as { dfa?: { constructor?: unknown } };
      dfaConstructor = typeof probe.dfa?.constructor === 'function' ? (probe.dfa.constructor as DfaConstructor) : null;
    }
    if (dfaConstructor && inner.lazyDFA === null && inner.prog) inner.lazyDFA = new dfaConstructor(inner.prog, REGEX_LIMITS.dfaBytes);
  } catch {
    dfaConstructor = null;
  }
}

type Compiled = { ok: true; re: RE2JS } | { ok: false; problem: RegexProblem };
const cache = new Map<string, Compiled>();

function compileUncached(source: string, flags: string): Compiled {
  if (source.length > REGEX_LIMITS.maxLength)
    return { ok: false, problem: { kind: 'complex', message: `it is longer than ${REGEX_LIMITS.maxLength} characters`, offset: null, hint: 'use a shorter pattern, or phrases' } };
  const construct = unsupportedConstruct(source);
  if (construct) return { ok: false, problem: construct };
  let re: RE2JS;
  try {
    // JavaScript spellings RE2 lacks (\u00e9, \cA, (?<name>…), [^]) become their RE2 forms
    re = RE2JS.compile(RE2JS.translateRegExp(jsSpaces(source)), re2Flags(flags));
  } catch (e) {
    const err = e as { error?: string; input?: string | null; message?: string };
    const fragment = err.input ?? '';
    const found = fragment && fragment !== source ? source.indexOf(fragment) : -1;
    const at = found >= 0 ? found : null;
    const what = err.error ? `${err.error}${fragment && fragment !== source ? ` \`${fragment}\`` : ''}` : String(err.message ?? e);
    return { ok: false, problem: { kind: 'syntax', message: what, offset: at, hint: 'check the pattern (RE2 syntax: JavaScript regexes without lookaround or backreferences)' } };
  }
  const size = re.programSize();
  if (size > REGEX_LIMITS.maxProgramSize)
    return {
      ok: false,
      problem: { kind: 'complex', message: `it is too complex: ${size} steps when compiled, at most ${REGEX_LIMITS.maxProgramSize}`, offset: null, hint: 'use smaller repetition counts like {1,20}, or phrases' },
    };
  capDfaMemory(re);
  return { ok: true, re };
}

/** The compiled pattern or why it can't run; compiled once per distinct pattern (bounded LRU cache). */
function compiled(source: string, flags: string): Compiled {
  const key = regexKey(source, flags);
  let c = cache.get(key);
  if (c) {
    cache.delete(key); // most recently used last
    cache.set(key, c);
    return c;
  }
  c = compileUncached(source, flags);
  if (cache.size >= REGEX_LIMITS.cacheSize) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.set(key, c);
  return c;
}

/** Null when the pattern can be used; otherwise what is wrong with it and where. Cheap: compiled once, cached. */
export function checkRegex(source: string, flags: string): RegexProblem | null {
  const c = compiled(source, flags);
  return c.ok ? null : c.problem;
}

/** Cuts a field for regex evaluation. */
function regexInput(text: string): string {
  return text.length > REGEX_LIMITS.inputLength ? text.slice(0, REGEX_LIMITS.inputLength) : text;
}

/** The categories as regex inputs: together at most `inputLength` characters. */
export function regexCategoryInputs(categories: readonly string[]): string[] {
  const out: string[] = [];
  let left = REGEX_LIMITS.inputLength;
  for (const c of categories) {
    if (left <= 0) break;
    out.push(c.length > left ? c.slice(0, left) : c);
    left -= c.length;
  }
  return out;
}

/** How many texts regexes have been tested on since start: for tests and benches (deterministic, no clock). */
export const regexStats = { tests: 0 };

/**
 * Does the pattern occur in any of the texts? Null when the pattern can't run (a stored subscription from before a
 * rule changed): it matches nothing, and `regexProblem` says why.
 */
export function regexTest(source: string, flags: string, texts: readonly string[]): boolean | null {
  const c = compiled(source, flags);
  if (!c.ok) return null;
  for (const t of texts) {
    regexStats.tests++;
    if (c.re.test(regexInput(t))) return true;
  }
  return false;
}

/** Why a (stored) pattern can't run, or null. */
export function regexProblem(source: string, flags: string): string | null {
  const c = compiled(source, flags);
  return c.ok ? null : `${c.problem.message}${c.problem.reason ? `: ${c.problem.reason}` : ''}`;
}

/** Where the pattern matches in a text (non-empty matches, at most `maxRanges`), in UTF-16 offsets. */
export function regexRanges(source: string, flags: string, text: string): Array<{ start: number; end: number }> {
  const c = compiled(source, flags);
  if (!c.ok) return [];
  const input = regexInput(text);
  regexStats.tests++;
  const m = c.re.matcher(input);
  const out: Array<{ start: number; end: number }> = [];
  // each find() starts past the previous match, so this ends within input.length + 1 rounds
  for (let round = 0; round <= input.length && out.length < REGEX_LIMITS.maxRanges && m.find(); round++) {
    if (m.end() > m.start()) out.push({ start: m.start(), end: m.end() });
  }
  return out;
}
