/**
 * Query language: text → AST (with positioned errors) and AST → canonical text.
 *
 *   query        := alternative ( (',' | ' OR ') alternative )*
 *   alternative  := term ( ['+' | 'AND' | '-' | 'NOT'] term )*
 *   term         := [scope ':'] ( phrase | '"' phrase '"' ['*'] | '/' regex '/' flags )
 *   phrase       := word+ ['*']           bare words run together into one phrase until an operator
 *
 * Every positive term of an alternative is required (the first one needs no `+`); negative terms exclude.
 * Operators are upper case (`OR`, `AND`, `NOT`), so "rock and roll" is a phrase. A `-`/`+` is an operator
 * only at the start of a word ("Jong-un" is a phrase). Adjacent quoted/regex/scoped terms without an operator
 * are all required.
 *
 * The AST is canonical: words are normalised tokens, terms and alternatives are sorted and deduplicated, so
 * two spellings of the same query parse to deep-equal ASTs and print to the same text.
 */
import { isNoSpaceToken, joinTokens, tokenise } from './normalise.js';
import { checkRegex, REGEX_LIMITS } from './regex.js';

export type Scope = 'title' | 'summary' | 'source' | 'author' | 'category';

export interface PhraseTerm {
  kind: 'phrase';
  /** normalised tokens */
  words: string[];
  /** the last word is a prefix (`korea*`) */
  prefix: boolean;
  negated: boolean;
  /** null = default scope (title, summary, categories) */
  scope: Scope | null;
}

export interface RegexTerm {
  kind: 'regex';
  source: string;
  /** sorted subset of "ims" (a stored query may also have `u`, which changes nothing: RE2 is Unicode-aware) */
  flags: string;
  negated: boolean;
  scope: Scope | null;
}

export type Term = PhraseTerm | RegexTerm;

export interface Alternative {
  /** positive terms first, then negated ones; each group sorted by printed form */
  terms: Term[];
}

export interface Query {
  version: 1;
  alternatives: Alternative[];
}

export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
  constructor(
    message: string,
    /** 0-based char index into the query text */
    readonly position: number,
    readonly hint: string,
  ) {
    super(message);
  }
}

export const QUERY_LIMITS = {
  /** of the canonical form (inputs up to 4× this are parsed first, since spacing and quotes shrink) */
  maxLength: 300,
  maxAlternatives: 20,
  maxTermsPerAlternative: 8,
  maxPhraseWords: 12,
  minPrefixLength: 2,
  maxRegexLength: REGEX_LIMITS.maxLength,
  /** regex terms in one query: each is compiled at parse time, so this bounds what parsing one query costs */
  maxRegexes: 10,
} as const;

export type ParseQueryResult = { ok: true; query: Query; canonical: string } | { ok: false; error: QuerySyntaxError };

const SCOPES: Record<string, Scope> = {
  title: 'title',
  summary: 'summary',
  source: 'source',
  site: 'source',
  author: 'author',
  category: 'category',
  categories: 'category',
};
const SCOPE_RE = /^(title|summary|source|site|author|category|categories)\s*:/i;
/** `word:` where a scope could start: letters only, so `10:30`, `COVID-19:` and `"a:b"` are never fields. */
const FIELD_LIKE_RE = /^(\p{L}{2,24}):/u;
/** The scopes as members write them, in the order errors list them. */
const SCOPE_NAMES = ['title', 'summary', 'source', 'author', 'category'];
const OPEN_QUOTES = '"“”„«';
const CLOSE_FOR: Record<string, string> = { '"': '"', '“': '”', '”': '”', '„': '“', '«': '»' };

function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/.test(c);
}

/** Optimal string alignment distance (a swap of two neighbours counts 1): `titel` is 1 from `title`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The scope a misspelled field most likely means: within 1 edit for short words, 2 for longer ones. */
export function closestScope(word: string): string | null {
  const w = word.toLowerCase();
  const limit = w.length <= 4 ? 1 : 2;
  let best: { name: string; distance: number } | null = null;
  for (const name of [...SCOPE_NAMES, 'site', 'categories']) {
    const distance = editDistance(w, name);
    if (distance <= limit && (!best || distance < best.distance)) best = { name: SCOPES[name]!, distance };
  }
  return best?.name ?? null;
}

interface UnknownField {
  /** as typed, with its colon: `titel:` */
  text: string;
  /** the word up to the next space, for the quoting hint */
  written: string;
  suggestion: string | null;
}

/**
 * A \`word:\` at position k that is not a scope but is meant as one: glued to what follows (\`titel:trump\`,
 * \`foo:bar\`), or close to a scope even with a space after it (\`titel: trump\`). \`Breaking: Trump\` is words.
 */
function unknownFieldAt(s: string, k: number): UnknownField | null {
  const m = FIELD_LIKE_RE.exec(s.slice(k, k + 26));
  if (!m || SCOPES[m[1]!.toLowerCase()]) return null;
  const next = s[k + m[0].length];
  const spaced = next === undefined || isSpace(next) || next === ',';
  const suggestion = closestScope(m[1]!);
  if (spaced && !suggestion) return null;
  let end = k;
  while (end < s.length && end - k < 60 && !isSpace(s[end]) && s[end] !== ',') end++;
  return { text: m[0], written: s.slice(k, end), suggestion };
}

/** Joins a syntax error's message and hint into one sentence pair for a reply. */
export function queryErrorText(error: Pick<QuerySyntaxError, 'message' | 'hint'>): string {
  return `${error.message}${/[.?!]$/.test(error.message) ? '' : '.'} ${error.hint}`.trim();
}

class Fail {
  constructor(readonly error: QuerySyntaxError) {}
}
function fail(message: string, position: number, hint: string): never {
  throw new Fail(new QuerySyntaxError(message, position, hint));
}

interface PendingTerm {
  term: Term;
  pos: number;
}

class Parser {
  private i = 0;
  private regexes = 0;
  constructor(private readonly s: string) {}

  parse(): Alternative[] {
    const alts: Alternative[] = [];
    let terms: PendingTerm[] = [];
    let altStart = 0;
    let op: { neg: boolean; pos: number; text: string } | null = null;
    let scope: { scope: Scope; pos: number; text: string } | null = null;
    let sawSeparator: { pos: number; text: string } | null = null;

    const endAlternative = (pos: number, sepText: string | null) => {
      if (scope) fail(`\`${scope.text}\` needs a phrase after it (at ${scope.pos})`, scope.pos, `write it like ${scope.text}drone`);
      if (op) fail(`\`${op.text}\` needs a word after it (at ${op.pos})`, op.pos, `write it like ${op.text === '-' || op.text === '+' ? op.text + 'football' : op.text + ' football'}`);
      if (terms.length === 0) {
        if (sawSeparator || sepText)
          fail(
            `\`${(sawSeparator ?? { text: sepText }).text}\` has nothing before it (at ${sawSeparator?.pos ?? pos})`,
            sawSeparator?.pos ?? pos,
            'separate alternatives like: north korea, south korea',
          );
        fail('the query is empty', 0, 'write a word or phrase to watch for, like: north korea');
      }
      if (!terms.some((t) => !t.term.negated))
        fail(
          `nothing to match at ${altStart}: an alternative needs a phrase that is not excluded`,
          altStart,
          'add what to watch for before the exclusion, like: football -transfer',
        );
      if (terms.length > QUERY_LIMITS.maxTermsPerAlternative)
        fail(
          `too many terms at ${terms[QUERY_LIMITS.maxTermsPerAlternative]!.pos} (at most ${QUERY_LIMITS.maxTermsPerAlternative} per alternative)`,
          terms[QUERY_LIMITS.maxTermsPerAlternative]!.pos,
          'split it into several subscriptions',
        );
      alts.push({ terms: terms.map((t) => t.term) });
      if (alts.length > QUERY_LIMITS.maxAlternatives)
        fail(`too many alternatives (at most ${QUERY_LIMITS.maxAlternatives}) at ${altStart}`, altStart, 'split it into several subscriptions');
      terms = [];
    };

    const s = this.s;
    for (;;) {
      while (this.i < s.length && isSpace(s[this.i])) this.i++;
      if (this.i >= s.length) break;
      const c = s[this.i]!;
      const at = this.i;
      if (c === ',') {
        endAlternative(at, ',');
        sawSeparator = { pos: at, text: ',' };
        this.i++;
        altStart = this.i;
        continue;
      }
      if (!scope) {
        const kw = this.keyword();
        if (kw === 'OR') {
          if (terms.length === 0 && !op && !scope) fail(`\`OR\` has nothing before it (at ${at})`, at, 'write it like: north korea OR south korea');
          endAlternative(at, 'OR');
          sawSeparator = { pos: at, text: 'OR' };
          this.i += 2;
          altStart = this.i;
          continue;
        }
        if (kw === 'AND' || kw === 'NOT') {
          if (op) fail(`\`${kw}\` right after \`${op.text}\` at ${at}`, at, 'use one operator per term');
          op = { neg: kw === 'NOT', pos: at, text: kw };
          this.i += 3;
          continue;
        }
        if (c === '+' || c === '-') {
          if (op) fail(`\`${c}\` right after \`${op.text}\` at ${at}`, at, 'use one operator per term');
          const next = s[at + 1];
          if (next === undefined || isSpace(next) || next === ',')
            fail(`\`${c}\` needs a word after it (at ${at})`, at, `write it with no space, like ${c}football`);
          op = { neg: c === '-', pos: at, text: c };
          this.i++;
          continue;
        }
        const sm = SCOPE_RE.exec(s.slice(at));
        if (sm) {
          const text = sm[0].replace(/\s+/g, '');
          const next = s[at + sm[0].length];
          if (next === undefined || isSpace(next) || next === ',')
            fail(`\`${text}\` needs a phrase right after it (at ${at})`, at, `write it like ${text}drone or ${text}"north korea"`);
          scope = { scope: SCOPES[sm[1]!.toLowerCase()]!, pos: at, text };
          this.i += sm[0].length;
          continue;
        }
        const field = unknownFieldAt(s, at);
        if (field) {
          const quoted = `"${field.written.replace(/["“”„«»]/g, '')}"`;
          if (field.suggestion)
            fail(
              `unknown field \`${field.text}\` at ${at}, did you mean \`${field.suggestion}:\`?`,
              at,
              `Write ${field.suggestion}:${field.written.slice(field.text.length) || 'word'}; to search the words as written, quote them: ${quoted}`,
            );
          fail(
            `unknown field \`${field.text}\` at ${at}: Herald searches only ${SCOPE_NAMES.map((n) => `${n}:`).join(', ')}`,
            at,
            `To search the words as written, colon included, quote them: ${quoted}`,
          );
        }
      }
      const termStart = op ? op.pos : scope ? scope.pos : at;
      let term: Term;
      if (OPEN_QUOTES.includes(c)) term = this.quoted();
      else if (c === '/') term = this.regex();
      else term = this.bare();
      term.negated = op?.neg ?? false;
      term.scope = scope?.scope ?? null;
      terms.push({ term, pos: termStart });
      op = null;
      scope = null;
      sawSeparator = null;
    }
    if (terms.length === 0 && sawSeparator)
      fail(`\`${sawSeparator.text}\` has nothing after it (at ${sawSeparator.pos})`, sawSeparator.pos, 'remove it or add another alternative');
    endAlternative(s.length, null);
    return alts;
  }

  /** An upper-case operator word standing alone at the cursor. */
  private keyword(): 'OR' | 'AND' | 'NOT' | null {
    const s = this.s;
    for (const kw of ['OR', 'AND', 'NOT'] as const) {
      if (s.startsWith(kw, this.i)) {
        const after = s[this.i + kw.length];
        if (after === undefined || isSpace(after) || OPEN_QUOTES.includes(after) || after === '/' || after === '(') return kw;
      }
    }
    return null;
  }

  private phraseFrom(text: string, pos: number, prefix: boolean): PhraseTerm {
    let words = tokenise(text);
    if (words.length === 0)
      fail(`\`${text.trim() || text}\` has no letters or digits to match (at ${pos})`, pos, 'phrases are matched on words; punctuation is ignored');
    if (words.length > QUERY_LIMITS.maxPhraseWords)
      fail(`phrase at ${pos} is too long (at most ${QUERY_LIMITS.maxPhraseWords} words)`, pos, 'use a shorter phrase, or several terms with +');
    if (prefix) {
      const last = words[words.length - 1]!;
      if (isNoSpaceToken(last)) prefix = false; // already substring-matched
      else if ([...last].length < QUERY_LIMITS.minPrefixLength)
        fail(`\`${last}*\` is too short at ${pos}: a prefix needs at least ${QUERY_LIMITS.minPrefixLength} letters`, pos, 'write more of the word before the *');
    }
    words = words.slice();
    return { kind: 'phrase', words, prefix, negated: false, scope: null };
  }

  private quoted(): PhraseTerm {
    const s = this.s;
    const open = this.i;
    const close = CLOSE_FOR[s[open]!] ?? '"';
    let end = -1;
    for (let j = open + 1; j < s.length; j++) {
      const ch = s[j]!;
      if (ch === close || ch === '"' || (close === '”' && ch === '“') || ch === '”') {
        end = j;
        break;
      }
    }
    if (end < 0) fail(`unclosed quote at ${open}`, open, 'close the phrase with another "');
    let inner = s.slice(open + 1, end);
    this.i = end + 1;
    let prefix = false;
    if (s[this.i] === '*') {
      prefix = true;
      this.i++;
    }
    const trimmed = inner.trimEnd();
    if (trimmed.endsWith('*')) {
      prefix = true;
      inner = trimmed.slice(0, -1);
      if (inner.endsWith(' ') || inner === '') fail(`\`*\` must follow a word directly (at ${open + 1 + trimmed.length - 1})`, open + 1 + trimmed.length - 1, 'write it like "north kor*"');
    }
    const star = inner.indexOf('*');
    if (star >= 0) fail(`\`*\` only at the end of a phrase (at ${open + 1 + star})`, open + 1 + star, 'a * makes the last word a prefix, like korea*');
    if (inner.trim() === '') fail(`empty quotes at ${open}`, open, 'put a phrase between the quotes');
    const after = s[this.i];
    if (after !== undefined && !isSpace(after) && after !== ',')
      fail(`unexpected \`${after}\` after the quote at ${this.i}`, this.i, 'leave a space after a quoted phrase');
    return this.phraseFrom(inner, open, prefix);
  }

  private regex(): RegexTerm {
    const s = this.s;
    const open = this.i;
    let j = open + 1;
    let inClass = false;
    let end = -1;
    for (; j < s.length; j++) {
      const ch = s[j];
      if (ch === '\\') {
        j++;
        continue;
      }
      if (inClass) {
        if (ch === ']') inClass = false;
      } else if (ch === '[') inClass = true;
      else if (ch === '/') {
        end = j;
        break;
      }
    }
    if (end < 0) fail(`unclosed regex at ${open}`, open, 'a regex ends with /, like /korea(n|ns)?/i');
    if (++this.regexes > QUERY_LIMITS.maxRegexes)
      fail(`too many regular expressions at ${open} (at most ${QUERY_LIMITS.maxRegexes} per query)`, open, 'use phrases, or split it into several subscriptions');
    const source = s.slice(open + 1, end);
    if (source === '') fail(`empty regex at ${open}`, open, 'write a pattern between the slashes');
    if (source.length > QUERY_LIMITS.maxRegexLength)
      fail(`regex at ${open} is too long (at most ${QUERY_LIMITS.maxRegexLength} characters)`, open, 'use a shorter pattern, or phrases');
    let k = end + 1;
    while (k < s.length && /[a-z]/i.test(s[k]!)) k++;
    const flagText = s.slice(end + 1, k);
    for (let f = 0; f < flagText.length; f++) {
      const ch = flagText[f]!;
      if (!REGEX_LIMITS.acceptedFlags.includes(ch))
        fail(`regex flag \`${ch}\` is not supported (at ${end + 1 + f})`, end + 1 + f, `use only ${REGEX_LIMITS.flags.split('').join(', ')}`);
      if (flagText.indexOf(ch) !== f) fail(`regex flag \`${ch}\` twice (at ${end + 1 + f})`, end + 1 + f, 'write each flag once');
    }
    const after = s[k];
    if (after !== undefined && !isSpace(after) && after !== ',')
      fail(`unexpected \`${after}\` after the regex at ${k}`, k, 'leave a space after a regex');
    // `u` is dropped: RE2 always matches by code point, with Unicode classes
    const flags = [...new Set(flagText)].filter((f) => REGEX_LIMITS.flags.includes(f)).sort().join('');
    const problem = checkRegex(source, flags);
    if (problem) {
      const at = problem.offset === null ? open : open + 1 + problem.offset;
      const where = at !== open ? ` (at ${at})` : '';
      fail(`${problem.kind === 'syntax' ? 'invalid regex' : 'regex'} at ${open}: ${problem.message}${where}${problem.reason ? `: ${problem.reason}` : ''}`, at, problem.hint);
    }
    this.i = k;
    return { kind: 'regex', source, flags, negated: false, scope: null };
  }

  private bare(): PhraseTerm {
    const s = this.s;
    const start = this.i;
    let end = start;
    let starAt = -1;
    // words until an operator, separator, quote, regex or scope
    for (;;) {
      // one word
      let j = this.i;
      while (j < s.length && !isSpace(s[j]) && s[j] !== ',' && !OPEN_QUOTES.includes(s[j]!)) {
        if (s[j] === '*') {
          if (starAt >= 0) fail(`\`*\` only at the end of a phrase (at ${starAt})`, starAt, 'a * makes the last word a prefix, like korea*');
          starAt = j;
        } else if (starAt >= 0) fail(`\`*\` only at the end of a phrase (at ${starAt})`, starAt, 'a * makes the last word a prefix, like korea*');
        j++;
      }
      end = j;
      this.i = j;
      if (starAt >= 0) break;
      // look at the next word
      let k = j;
      while (k < s.length && isSpace(s[k])) k++;
      if (k >= s.length || k === j) break; // end, or quote/comma right after the word
      const c = s[k]!;
      if (c === ',' || c === '+' || c === '-' || c === '/' || OPEN_QUOTES.includes(c)) break;
      const saved = this.i;
      this.i = k;
      const kw = this.keyword();
      this.i = saved;
      if (kw) break;
      if (SCOPE_RE.test(s.slice(k)) || unknownFieldAt(s, k)) break;
      if (c === '*') fail(`\`*\` must follow a word directly (at ${k})`, k, 'write it like korea*');
      this.i = k;
    }
    const text = s.slice(start, end);
    if (starAt >= 0) {
      let k = this.i;
      while (k < s.length && isSpace(s[k])) k++;
      const c = s[k];
      if (c !== undefined && c !== ',' && c !== '+' && c !== '-' && c !== '/' && !OPEN_QUOTES.includes(c) && !SCOPE_RE.test(s.slice(k))) {
        const saved = this.i;
        this.i = k;
        const kw = this.keyword();
        this.i = saved;
        if (!kw) fail(`\`*\` only at the end of a phrase (at ${starAt})`, starAt, 'a * makes the last word a prefix, like korea*');
      }
      const wordText = s.slice(start, starAt);
      if (wordText === '' || isSpace(s[starAt - 1])) fail(`\`*\` must follow a word directly (at ${starAt})`, starAt, 'write it like korea*');
      return this.phraseFrom(wordText, start, true);
    }
    return this.phraseFrom(text, start, false);
  }
}

function formatBody(t: Term): string {
  if (t.kind === 'regex') return `/${t.source}/${t.flags}`;
  return joinTokens(t.words) + (t.prefix ? '*' : '');
}

/** Canonical text of one term, without operator or scope: what `terms` lists (MatchedTerm.text). */
export function formatTermText(t: Term): string {
  return formatBody(t);
}

function formatTerm(t: Term, first: boolean): string {
  const body = formatBody(t);
  const needsQuotes = t.kind === 'phrase' && (t.words.length > 1 || /\s/.test(body)) && (!first || t.scope !== null || t.negated);
  let out = needsQuotes ? `"${joinTokens(t.words)}"${t.prefix ? '*' : ''}` : body;
  if (t.scope) out = `${t.scope}:${out}`;
  if (t.negated) out = `-${out}`;
  else if (!first) out = `+${out}`;
  return out;
}

/** A sort key for terms that is independent of operator position. */
function termKey(t: Term): string {
  return `${t.negated ? 1 : 0}\u0000${t.scope ?? ''}\u0000${t.kind}\u0000${formatBody(t)}`;
}

function formatAlternative(a: Alternative): string {
  return a.terms.map((t, i) => formatTerm(t, i === 0)).join(' ');
}

/** Canonical printed form. parseQuery(formatQuery(q)) yields q again. */
export function formatQuery(query: Query): string {
  return query.alternatives.map(formatAlternative).join(', ');
}

function canonicalise(alts: Alternative[]): Query {
  const seen = new Map<string, Alternative>();
  for (const a of alts) {
    const byKey = new Map<string, Term>();
    for (const t of a.terms) byKey.set(termKey(t), t);
    const terms = [...byKey.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([, t]) => normaliseTerm(t));
    const alt: Alternative = { terms };
    seen.set(formatAlternative(alt), alt);
  }
  const sorted = [...seen.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([, a]) => a);
  return { version: 1, alternatives: sorted };
}

/** Fixed property order, so stored JSON is stable. */
function normaliseTerm(t: Term): Term {
  if (t.kind === 'phrase') return { kind: 'phrase', words: t.words, prefix: t.prefix, negated: t.negated, scope: t.scope };
  return { kind: 'regex', source: t.source, flags: t.flags, negated: t.negated, scope: t.scope };
}

export function parseQuery(text: string): ParseQueryResult {
  try {
    if (typeof text !== 'string' || text.trim() === '')
      fail('the query is empty', 0, 'write a word or phrase to watch for, like: north korea');
    if (text.length > QUERY_LIMITS.maxLength * 4)
      fail(`the query is longer than ${QUERY_LIMITS.maxLength} characters`, QUERY_LIMITS.maxLength, 'split it into several subscriptions');
    const query = canonicalise(new Parser(text).parse());
    const canonical = formatQuery(query);
    if (canonical.length > QUERY_LIMITS.maxLength)
      fail(`the query is longer than ${QUERY_LIMITS.maxLength} characters`, Math.min(QUERY_LIMITS.maxLength, text.length), 'split it into several subscriptions');
    return { ok: true, query, canonical };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.error };
    throw e;
  }
}
