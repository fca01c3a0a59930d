// Subscription index benchmark: build time, items/s, µs/item (mean, p99), bytes per subscription and matches per
// item for 1k, 10k, 100k and 1M generated subscriptions, and the naive loop (evaluateQuery per subscription) at
// 1k and 100k for the ratio.
// Run: npm run bench -- match   (or: node --expose-gc --import tsx bench/match.bench.ts)
//   env: BENCH_SIZES=1000,10000 (sizes), BENCH_NO_NAIVE=1, BENCH_NO_REGEX=1, BENCH_ITEMS=2000, BENCH_DEBUG=1 (top terms)
//
// The workload, and why (everything is generated deterministically from one seed):
// - Subscriptions are what people type into /subscribe: mostly short names of things in the news. 85% name an
//   entity from a universe of 50,000 (people "First Last", places, organisations of 1–3 words, and topics made of
//   ordinary words such as "interest rates"); 15% are niche phrases (a local club, a product, a colleague's
//   name) from a pool of 200,000 that news items almost never contain.
// - Popularity is Zipf-distributed, because across thousands of servers the same few topics are followed
//   everywhere: entity queries are drawn with exponent 0.8 over their popularity rank, so the most followed query
//   ("Ukraine") is held by ~2% of all subscriptions, the 100th by ~0.04%, and the tail is mostly held once. Niche
//   phrases are Zipf 1.0 over their own pool. At 1M subscriptions this gives a few hundred thousand distinct queries.
// - Following is only loosely tied to coverage: an entity's popularity rank among subscribers is its news rank
//   perturbed by a log-normal factor (σ = 1, i.e. typically within ×/÷ 2.7) — popular stories are popular
//   subscriptions, but not in the same order.
// - Shapes: 80% one phrase, 7% an OR list of 2–3 phrases, 7% a phrase with +phrase (half also −phrase), 3% with
//   −phrase only, 2% scoped (title:/summary:/category:/source:), 1% a prefix (stem*); 5 regexes are added in a
//   separate section (regex engine before/after, and every guild at its regex limit).
// - Items are news-like: a title of 8–13 words and a two-sentence summary (~60 words in all), most words drawn
//   from ordinary vocabulary with Zipf frequencies (350 real news words, then 30,000 rarer ones), ~4 entity
//   mentions per item (1–3 words each) drawn by news prominence (Zipf 0.7 over the 50,000: the top entity is in
//   ~5% of items, the 100th in ~0.2%), with capitals and the odd possessive.
// - Matches per item are therefore set by the head: a query held by 2% of subscriptions that appears in 5% of
//   items alone contributes 0.1% of all subscriptions per item (~2,300 subscriptions per item at 1M).
// What is timed: `matchAlternatives`, the call alert routing makes. It answers with each matched alternative once, with
// the ids of the subscriptions that have it, so its cost follows the distinct alternatives matched (printed as
// alts/item), not the subscriptions holding them (matches/item). The last column times `match`, which expands
// that answer into one map entry per matched subscription (~0.1 µs each): the price of asking for it.
// Subscription ids are 8 hex characters, as the subscription service makes them. Each subscription's query is
// parsed separately (as when loading from the store), so memory figures include nothing shared by the bench.
import vm from 'node:vm';
import { evaluatePrepared, PreparedItem } from '../src/match/evaluate.js';
import { SubscriptionIndex } from '../src/match/index.js';
import type { MatchableItem } from '../src/match/item.js';
import { parseQuery, type Query } from '../src/match/query.js';
import { regexTest } from '../src/match/regex.js';
import { prng } from './prng.js';

const r = prng(20240611);
const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** A Zipf(s) sampler over ranks 0..n-1 (inverse CDF by binary search over the cumulative weights). */
function zipfSampler(n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += Math.pow(i + 1, -s);
  return () => {
    const x = r() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const ENTITY_COUNT = 50_000;
const NICHE_COUNT = 200_000;
const SUB_ZIPF = 0.8;
const NEWS_ZIPF = 0.7;
const NICHE_ZIPF = 1.0;
const NICHE_SHARE = 0.15;
const PERTURB_SIGMA = 1.0;
const MENTION_RATE = 0.066; // per word slot → ~4 mentions in ~60 words

// --- ordinary vocabulary: real news words (most frequent first, roughly), then rarer pseudo-words
const COMMON = `the of to and a in for on that is with said was at by as from he it has have are be his an after
not but its who will were they had been more their this new or which year we one than over up two about out also
government people first would last says police when president can into time minister told some state against
week years there former other no officials million could three before people while since under report percent
may under city country world national including where during public billion court company because between
four security day months following health party second group local officials leader general members month
house law back support national made election market military made told high plans war attack deal people
power began take part economy prices rates bank oil energy climate talks vote troops border forces water fire
storm school students study data workers jobs union strike trade tariffs sanctions missile nuclear drone army
peace aid refugees protest crisis budget tax debt growth inflation interest profit shares stocks investors
sales record rise fall cut hit warns calls urges announces launches faces seeks plans vows rejects backs
football league cup final win coach player season club match team championship title injury transfer
hospital vaccine virus doctors patients disease research scientists space launch phone software chip online
users platform data privacy hack outage service network internet video film music festival award star`
  .split(/\s+/)
  .filter(Boolean);
const SYL = ['ka', 'lo', 'ri', 'an', 'mo', 'ze', 'tu', 'ber', 'sen', 'dal', 'vin', 'qu', 'ost', 'mar', 'el', 'ni', 'ga', 'ro', 'shi', 'pe', 'lan', 'dor', 'vi', 'ta'];
const NAME_SYL = ['Al', 'Bor', 'Cas', 'Dmi', 'Ev', 'Fal', 'Gor', 'Hal', 'Ivo', 'Jus', 'Kaz', 'Lev', 'Mir', 'Nad', 'Ol', 'Pav', 'Rud', 'Sol', 'Tam', 'Ul', 'Vad', 'Wex', 'Yar', 'Zor'];
const NAME_TAIL = ['a', 'o', 'i', 'en', 'an', 'ov', 'ez', 'ski', 'son', 'berg', 'ar', 'ia', 'us', 'ine', 'ell', 'ani'];
function makeWords(n: number, syl: readonly string[], tail: readonly string[] | null, min: number, max: number, taken: Set<string>): string[] {
  const out: string[] = [];
  while (out.length < n) {
    let w = '';
    const k = min + Math.floor(r() * (max - min + 1));
    for (let i = 0; i < k; i++) w += pick(syl);
    if (tail) w += pick(tail);
    w = w.toLowerCase();
    if (taken.has(w)) continue;
    taken.add(w);
    out.push(w);
  }
  return out;
}
const taken = new Set(COMMON);
const RARE = makeWords(30_000, SYL, null, 2, 4, taken);
const VOCAB = [...new Set(COMMON), ...RARE];
const vocabRank = zipfSampler(VOCAB.length, 1.0);
const ordinaryWord = () => VOCAB[vocabRank()]!;
const NAMES = makeWords(20_000, NAME_SYL, NAME_TAIL, 1, 3, taken); // given names, surnames, place and brand names
const nameRank = zipfSampler(NAMES.length, 0.6);
const name = () => NAMES[nameRank()]!;
const ORG_WORDS = ['bank', 'group', 'united', 'party', 'council', 'airlines', 'motors', 'energy', 'institute', 'university', 'fc', 'labs', 'capital', 'media', 'health'];
const MID = VOCAB.slice(120, 3_000); // topic words: ordinary, but not the commonest
const topicWord = () => MID[Math.floor(MID.length * Math.pow(r(), 1.5))]!;

function makePhrase(): string {
  const x = r();
  if (x < 0.4) return r() < 0.85 ? `${name()} ${name()}` : `${name()} ${name()} ${name()}`; // people
  if (x < 0.65) return r() < 0.7 ? name() : `${r() < 0.3 ? pick(['north', 'south', 'new', 'east', 'west']) : name()} ${name()}`; // places
  if (x < 0.9) return r() < 0.4 ? name() : r() < 0.7 ? `${name()} ${pick(ORG_WORDS)}` : `${pick(['bank', 'university', 'council', 'party', 'church'])} of ${name()}`; // organisations
  return r() < 0.5 ? topicWord() : `${topicWord()} ${topicWord()}`; // topics
}
function uniquePhrases(n: number, avoid: Set<string>): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const p = makePhrase();
    if (avoid.has(p)) continue;
    avoid.add(p);
    out.push(p);
  }
  return out;
}
const seenPhrases = new Set<string>();
/** entities in order of news prominence */
const ENTITIES = uniquePhrases(ENTITY_COUNT, seenPhrases);
const NICHE = uniquePhrases(NICHE_COUNT, seenPhrases);
/** entities in order of popularity among subscribers: the news rank, perturbed log-normally */
const BY_FOLLOWING = ENTITIES.map((e, i) => ({ e, k: Math.log(i + 1) + PERTURB_SIGMA * gauss() }))
  .sort((a, b) => a.k - b.k)
  .map((x) => x.e);
const newsRank = zipfSampler(ENTITY_COUNT, NEWS_ZIPF);
const followRank = zipfSampler(ENTITY_COUNT, SUB_ZIPF);
const nicheRank = zipfSampler(NICHE_COUNT, NICHE_ZIPF);

// --- items
const capital = (w: string) => w.replace(/(^|\s)(\p{Ll})/gu, (_, s: string, c: string) => s + c.toUpperCase());
function sentence(n: number): string {
  const out: string[] = [];
  while (out.length < n) {
    if (r() < MENTION_RATE) {
      const e = capital(ENTITIES[newsRank()]!);
      out.push(r() < 0.08 ? `${e}’s` : e);
    } else out.push(ordinaryWord());
  }
  return out.join(' ');
}
function makeItem(): MatchableItem {
  return {
    title: capital(sentence(8 + Math.floor(r() * 6))),
    summary: `${capital(sentence(24))}. ${capital(sentence(22))}.`,
    categories: Array.from({ length: 1 + Math.floor(r() * 2) }, () => capital(pick(COMMON.slice(100)))),
    source: `${capital(name())} News`,
    author: `${capital(name())} ${capital(name())}`,
  };
}
const ITEMS = Array.from({ length: Number(process.env.BENCH_ITEMS ?? 2000) }, makeItem);

// --- subscriptions
function phrase(): string {
  const p = r() < NICHE_SHARE ? NICHE[nicheRank()]! : BY_FOLLOWING[followRank()]!;
  return p.includes(' ') ? `"${p}"` : p;
}
function makeQueryText(): string {
  const x = r();
  if (x < 0.8) return phrase();
  if (x < 0.87) return `${phrase()}, ${phrase()}${r() < 0.5 ? ` OR ${phrase()}` : ''}`;
  if (x < 0.94) return `${phrase()} +${phrase()}${r() < 0.5 ? ` -${phrase()}` : ''}`;
  if (x < 0.97) return `${phrase()} -${phrase()}`;
  if (x < 0.99) return `${pick(['title:', 'title:', 'summary:', 'category:', 'source:'])}${phrase()}`;
  const w = pick(MID.filter((m) => m.length >= 6).concat(NAMES.slice(0, 2000)));
  return `${w.slice(0, w.length - 2)}*`;
}
function makeSubs(n: number): Array<[string, Query]> {
  const out: Array<[string, Query]> = [];
  while (out.length < n) {
    const res = parseQuery(makeQueryText());
    // 8 hex characters like the subscription service's ids; a bijection of the counter, so unique
    if (res.ok) out.push([subId(out.length), res.query]);
  }
  return out;
}

/** Full collections, with pauses so that concurrent sweeping (and freeing array buffers) settles. */
async function gc(): Promise<void> {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return;
  for (let i = 0; i < 3; i++) {
    g();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
/** JS heap plus typed-array memory (which lives outside the heap) */
const heap = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

interface Measured {
  perSec: number;
  mean: number;
  p99: number;
}
const GOLDEN = 0x9e3779b1;
const subId = (i: number) => (Math.imul(i + 1, GOLDEN) >>> 0).toString(16).padStart(8, '0');
/** GOLDEN⁻¹ mod 2³² (Newton), to get a subscription's number back from its id */
const GOLDEN_INV = (() => {
  let x = GOLDEN;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(GOLDEN, x));
  return x;
})();
const subNumber = (id: string) => Math.imul(parseInt(id, 16), GOLDEN_INV) - 1;

function measure(items: MatchableItem[], run: (item: MatchableItem) => unknown): Measured {
  for (let i = 0; i < 1000; i++) run(items[i % items.length]!); // warm-up
  const times: number[] = [];
  const t0 = performance.now();
  for (const item of items) {
    const s = performance.now();
    run(item);
    times.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  return { perSec: (items.length / total) * 1000, mean: (total / items.length) * 1000, p99: times[Math.floor(times.length * 0.99)]! * 1000 };
}

/** Per item, outside any timing: matched alternatives, matched subscriptions, distinct queries matched. */
function counts(index: SubscriptionIndex, items: MatchableItem[], queryNo: Int32Array): { alts: number; matches: number; queries: number } {
  let alts = 0;
  let matches = 0;
  let queries = 0;
  for (const item of items) {
    alts += index.matchAlternatives(item).length;
    const m = index.match(item);
    matches += m.size;
    const q = new Set<number>();
    for (const id of m.keys()) q.add(queryNo[subNumber(id)]!);
    queries += q.size;
  }
  return { alts: alts / items.length, matches: matches / items.length, queries: queries / items.length };
}

function naive(subs: Array<[string, Query]>, items: MatchableItem[]): number {
  const t0 = performance.now();
  let hits = 0;
  for (const item of items) {
    const p = new PreparedItem(item);
    for (const [, q] of subs) if (evaluatePrepared(q, p).matched) hits++;
  }
  return (items.length / (performance.now() - t0)) * 1000;
}

if (!(globalThis as { gc?: unknown }).gc) console.log('(run with --expose-gc for memory figures)');
const words = ITEMS.reduce((s, i) => s + (i.title + ' ' + i.summary).split(' ').length, 0) / ITEMS.length;
console.log(`items: ${ITEMS.length} generated news items, ~${Math.round(words)} words each (title + summary); normalisation included`);
console.log(`subscriptions: Zipf ${SUB_ZIPF} over ${fmt(ENTITY_COUNT)} entities (${NICHE_SHARE * 100}% niche, Zipf ${NICHE_ZIPF} over ${fmt(NICHE_COUNT)}); items: Zipf ${NEWS_ZIPF} mentions`);
console.log('     subs  distinct q  build s  items/s  µs/item mean  µs/item p99  bytes/sub  alts/item  queries/item  matches/item  items/s expanded');
const naiveRates = new Map<number, number>();
const indexRates = new Map<number, number>();
const expandedRates = new Map<number, number>();
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000,1000000').split(',').map(Number);
for (const n of SIZES) {
  await gc();
  const before = heap();
  let subs: Array<[string, Query]> | null = makeSubs(n);
  const index = new SubscriptionIndex();
  const tb = performance.now();
  for (const [id, q] of subs) index.add(id, q);
  const buildS = (performance.now() - tb) / 1000;
  if ((n === 1_000 || n === 100_000) && !process.env.BENCH_NO_NAIVE) naiveRates.set(n, naive(subs, ITEMS.slice(0, n === 1_000 ? 500 : 10)));
  // query number by subscription number, off the JS heap (a typed array), to count distinct queries matched
  const queryNo = new Int32Array(n);
  {
    const numbers = new Map<string, number>();
    subs.forEach(([, q], i) => {
      const key = JSON.stringify(q);
      let k = numbers.get(key);
      if (k === undefined) numbers.set(key, (k = numbers.size));
      queryNo[i] = k;
    });
  }
  const distinctQueries = new Set(queryNo).size;
  subs = null;
  await gc();
  const bytes = (heap() - before - queryNo.byteLength) / n; // the index's own memory, ids and kept queries included
  if (process.env.BENCH_DEBUG) {
    const counts = new Map<string, number>();
    for (const item of ITEMS.slice(0, 200)) for (const terms of index.match(item).values()) for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
    console.log([...counts].sort((a, b) => b[1] - a[1]).slice(0, 25));
  }
  const m = measure(ITEMS, (item) => index.matchAlternatives(item));
  const expanded = measure(ITEMS, (item) => index.match(item));
  const c = counts(index, ITEMS, queryNo);
  indexRates.set(n, m.perSec);
  expandedRates.set(n, expanded.perSec);
  console.log(
    `${fmt(n).padStart(9)} ${fmt(distinctQueries).padStart(11)} ${fmt(buildS, 2).padStart(8)} ${fmt(m.perSec).padStart(8)} ${fmt(m.mean, 1).padStart(13)} ${fmt(m.p99, 1).padStart(12)} ${fmt(bytes).padStart(10)} ${fmt(c.alts, 1).padStart(10)} ${fmt(c.queries, 1).padStart(13)} ${fmt(c.matches, 1).padStart(13)} ${fmt(expanded.perSec).padStart(17)}`,
  );
}
for (const [n, rate] of naiveRates) {
  console.log(
    `naive loop at ${fmt(n)}: ${fmt(rate, 1)} items/s → index is ${fmt(indexRates.get(n)! / rate)}× faster (${fmt(expandedRates.get(n)! / rate)}× expanded to subscriptions)`,
  );
}
// --- regexes: the engine, and the cost per item with every guild at its regex limit
if (!process.env.BENCH_NO_REGEX) {
  const RE_ITEMS = ITEMS.slice(0, 500);
  // one 2,000-character summary of words and spaces: what a hostile feed can put in front of a regex
  const LONG = ITEMS.slice(0, 60).map((i) => i.summary).join(' ').slice(0, 2000);
  const LONG_ITEMS = RE_ITEMS.slice(0, 100).map((i) => ({ ...i, summary: LONG }));
  const fieldsOf = (i: MatchableItem) => [i.title, i.summary, ...i.categories];
  const TYPICAL = ['korea(ns?)?\\b/i', '\\bmissile test/i', '^breaking/i', '\\d+ (billion|million)/', '(oil|gas) prices?/i'].map((p) => p.split('/') as [string, string]);
  const COSTLY: Array<[string, string]> = [['(?:\\S+\\s)*?\\S+X1', '']];

  // before: native RegExp, all of an item's regexes in one vm call with a 50 ms watchdog (the code this replaced)
  const ctx = vm.createContext({ __jobs: [] as Array<{ re: RegExp; texts: string[] }>, __out: [] as number[] });
  const script = new vm.Script(`(() => {
    const jobs = globalThis.__jobs, out = globalThis.__out;
    for (let i = 0; i < jobs.length; i++) { const j = jobs[i]; let m = 0;
      for (let k = 0; k < j.texts.length; k++) if (j.re.test(j.texts[k])) m |= 1 << k; out[i] = m; }
  })()`);
  const vmRun = (res: RegExp[], item: MatchableItem) => {
    const texts = fieldsOf(item).map((t) => t.slice(0, 2000));
    const c = ctx as unknown as { __jobs: Array<{ re: RegExp; texts: string[] }>; __out: number[] };
    c.__jobs = res.map((re) => ({ re, texts }));
    c.__out = [];
    try {
      script.runInContext(ctx, { timeout: 50 });
    } catch {
      /* timed out: counted as no match */
    }
  };
  // now: RE2 through Herald's one runner
  const re2Run = (pats: Array<[string, string]>, item: MatchableItem) => {
    const texts = fieldsOf(item);
    for (const [src, flags] of pats) regexTest(src, flags, texts);
  };
  const µs = (items: MatchableItem[], run: (i: MatchableItem) => void) => {
    for (let i = 0; i < Math.min(200, items.length * 2); i++) run(items[i % items.length]!);
    const t0 = performance.now();
    for (const item of items) run(item);
    return ((performance.now() - t0) / items.length) * 1000;
  };
  {
    // the index at 100k with and without five typical regex subscriptions (regexes run on every item here)
    const index = new SubscriptionIndex();
    for (const [id, q] of makeSubs(100_000)) index.add(id, q);
    measure(ITEMS, (item) => index.matchAlternatives(item)); // warm
    const base = measure(ITEMS, (item) => index.matchAlternatives(item)).perSec;
    TYPICAL.forEach(([src, flags], i) => {
      const res = parseQuery(`/${src}/${flags}`);
      if (res.ok) index.add(`re${i}`, res.query);
    });
    const withRe = measure(ITEMS, (item) => index.matchAlternatives(item)).perSec;
    console.log(`\n100k + ${TYPICAL.length} regex subscriptions: ${fmt(withRe)} items/s (without: ${fmt(base)})`);
  }
  console.log('\nregex engine, µs per item (each pattern tested on title, summary and categories; 2,000-char cut)');
  console.log('  patterns                               items                 vm + RegExp (before)   RE2 / re2js (now)');
  for (const [label, pats] of [
    ['5 typical (korea(ns?)?\\b/i, …)', TYPICAL],
    ['1 costly: /(?:\\S+\\s)*?\\S+X1/', COSTLY],
  ] as const) {
    const native = pats.map(([src, flags]) => new RegExp(src, flags));
    for (const [what, items] of [
      ['news (~60 words)', RE_ITEMS],
      ['2,000-char summary', LONG_ITEMS],
    ] as const) {
      const before = µs(items, (i) => vmRun(native, i));
      const now = µs(items, (i) => re2Run(pats as Array<[string, string]>, i));
      console.log(`  ${label.padEnd(38)} ${what.padEnd(21)} ${fmt(before, 1).padStart(20)} ${fmt(now, 1).padStart(19)}`);
    }
  }

  // every guild at its regex limit: G guilds × 10 distinct costly-looking regexes (no two guilds share one), the
  // item's feed followed by F of them. Only the followers' regexes run (alert routing passes guildFollows).
  const LIMIT = 10;
  console.log(`\nevery guild at its regex limit (${LIMIT} regexes of the /(?:\\S+\\s)*?\\S+X1/ kind each), µs per item:`);
  console.log('   guilds  following the feed   news item   2,000-char summary');
  for (const guilds of [100, 1_000]) {
    const index = new SubscriptionIndex();
    for (let g = 0; g < guilds; g++)
      for (let k = 0; k < LIMIT; k++) {
        const res = parseQuery(`/(?:\\S+\\s)*?\\S+X${g}_${k}/`);
        if (res.ok) index.add(`g${g}s${k}`, res.query, `g${g}`);
      }
    for (const following of [0, 1, 10, 100].filter((f) => f <= guilds)) {
      const eligible = (owner: string) => Number(owner.slice(1)) < following;
      const news = µs(RE_ITEMS.slice(0, following >= 100 ? 50 : 500), (i) => index.matchAlternatives(i, { eligible }));
      const long = µs(LONG_ITEMS.slice(0, following >= 100 ? 20 : 100), (i) => index.matchAlternatives(i, { eligible }));
      console.log(`  ${fmt(guilds).padStart(7)} ${fmt(following).padStart(19)} ${fmt(news, 1).padStart(11)} ${fmt(long, 1).padStart(20)}`);
    }
  }

  // the worst accepted pattern found (DFA state blow-up on Unicode classes, then RE2's NFA) on hostile text
  const WORST: Array<[string, string]> = [
    ['\\pL*a\\pL{40}X', 'i'],
    ['\\w*a\\w{200}\\d', ''],
    ['[\\pL\\pN]*a[\\pL\\pN]{200}[\\x{2000}-\\x{2100}]', 'i'],
  ];
  const ab = (seed: number) => Array.from({ length: 2000 }, (_, i) => ((i * 7919 + seed * 104729) % 13 < 6 ? 'a' : 'b')).join('');
  const HOSTILE = Array.from({ length: 20 }, (_, s) => ({ title: ab(s), summary: ab(s + 1), categories: [ab(s + 2)], source: '', author: '' }));
  for (const [src, flags] of WORST) {
    const t = µs(HOSTILE, (i) => regexTest(src, flags, fieldsOf(i)));
    console.log(`worst case: /${src}/${flags} on 3 hostile 2,000-char fields: ${fmt(t / 1000, 2)} ms per item (×${LIMIT} for a guild at its limit)`);
  }
}
