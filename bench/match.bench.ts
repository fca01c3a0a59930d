// Subscription index benchmark: build time, items/s, µs/item (mean, p99), bytes per subscription for
// 1k, 10k, 100k and 1M generated subscriptions, and the naive loop at 1k and 100k.
// Run: npm run bench -- match   (or: node --expose-gc --import tsx bench/match.bench.ts)
import { evaluatePrepared, PreparedItem } from '../src/match/evaluate.js';
import { SubscriptionIndex } from '../src/match/index.js';
import type { MatchableItem } from '../src/match/item.js';
import { parseQuery, type Query } from '../src/match/query.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = prng(20240611);
const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
/** Zipf-ish: index skewed to the front */
const zipf = <T>(a: readonly T[]): T => a[Math.min(a.length - 1, Math.floor(a.length * Math.pow(r(), 2.2)))]!;

// --- vocabulary: real news words + deterministic pseudo-words (names, places, jargon)
const CORE = `the a of to in and for on with at by from as after over says said new year government president minister
police court election vote war peace talks deal market shares prices oil gas energy climate storm flood fire
earthquake health hospital vaccine covid school university study report data tech company bank central rate
inflation jobs strike union workers football league cup final win loss coach player transfer season club
missile test launch nuclear sanctions border army troops attack drone ceasefire refugees aid trade tariffs
china russia ukraine korea north south japan india france germany britain america europe africa brazil mexico
paris london berlin tokyo seoul beijing moscow kyiv washington brussels sao paulo new york city state federal
apple google microsoft amazon tesla meta openai chip ai software security breach hack outage launch phone
record high low rise fall cut plan bill law ban protest leader prime chief officer ceo billion million percent`
  .split(/\s+/)
  .filter(Boolean);
const SYL = ['ka', 'lo', 'ri', 'an', 'mo', 'ze', 'tu', 'ber', 'sen', 'dal', 'vin', 'qu', 'ost', 'mar', 'el', 'ni', 'ga', 'ro', 'shi', 'pe', 'lan', 'dor', 'vi', 'ta'];
const PSEUDO = new Set<string>();
while (PSEUDO.size < 60_000) {
  const n = 2 + Math.floor(r() * 3);
  let w = '';
  for (let i = 0; i < n; i++) w += pick(SYL);
  PSEUDO.add(w);
}
const WORDS = [...CORE, ...PSEUDO];
const capital = (w: string) => w[0]!.toUpperCase() + w.slice(1);
// named entities: 1-3 word phrases appearing in items and subscribed to
const STOP = new Set('the a of to in and for on with at by from as after over says said new year'.split(' '));
const ENTITY_WORDS = WORDS.filter((w) => !STOP.has(w));
const ENTITY_SET = new Set<string>();
while (ENTITY_SET.size < 40_000) {
  const n = r() < 0.45 ? 1 : r() < 0.8 ? 2 : 3;
  ENTITY_SET.add(Array.from({ length: n }, () => capital(ENTITY_WORDS[Math.floor(ENTITY_WORDS.length * Math.pow(r(), 1.5))]!)).join(' '));
}
const ENTITIES = [...ENTITY_SET];

function sentence(n: number): string {
  const out: string[] = [];
  while (out.length < n) {
    if (r() < 0.12) out.push(zipf(ENTITIES) + (r() < 0.1 ? '’s' : ''));
    else out.push(zipf(WORDS));
  }
  return out.join(' ');
}
function makeItem(): MatchableItem {
  return {
    title: capital(sentence(8 + Math.floor(r() * 6))),
    summary: `${capital(sentence(25))}. ${capital(sentence(22))}.`,
    categories: Array.from({ length: 1 + Math.floor(r() * 2) }, () => capital(pick(CORE))),
    source: `${capital(pick(WORDS))} News`,
    author: `${capital(pick([...PSEUDO].slice(0, 500)))} ${capital(pick(WORDS))}`,
  };
}
const ITEMS = Array.from({ length: 2000 }, makeItem);

// Subscriptions name topics (entities, or less common words), not stop words: drawn with a mild skew so that
// popular topics have many subscribers, as they would across thousands of guilds.
const TOPIC_WORDS = WORDS.slice(120);
const mild = <T>(a: readonly T[]): T => a[Math.min(a.length - 1, Math.floor(a.length * Math.pow(r(), 1.3)))]!;
function phrase(): string {
  const e = r() < 0.75 ? mild(ENTITIES) : Array.from({ length: 1 + Math.floor(r() * 2) }, () => mild(TOPIC_WORDS)).join(' ');
  return e.includes(' ') ? `"${e}"` : e;
}
function makeQueryText(): string {
  const x = r();
  if (x < 0.6) return phrase(); // plain phrase
  if (x < 0.75) return `${phrase()}, ${phrase()}${r() < 0.5 ? ` OR ${phrase()}` : ''}`;
  if (x < 0.85) return `${phrase()} +${phrase()}${r() < 0.5 ? ` -${phrase()}` : ''}`;
  if (x < 0.9) return `${phrase()} -${phrase()}`;
  if (x < 0.95 && !process.env.BENCH_NO_STAR) {
    const w = mild(TOPIC_WORDS);
    return `${w.slice(0, Math.max(5, w.length - 1))}*`;
  }
  return `${pick(['title:', 'summary:', 'category:', 'source:'])}${phrase()}`;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}
const heap = () => process.memoryUsage().heapUsed;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function makeSubs(n: number): Array<[string, Query]> {
  const out: Array<[string, Query]> = [];
  while (out.length < n) {
    const res = parseQuery(makeQueryText());
    if (res.ok) out.push([`sub:${(1_000_000_000_000 + out.length * 7919).toString(36)}:${out.length}`, res.query]);
  }
  return out;
}

function measureMatch(index: SubscriptionIndex, items: MatchableItem[]): { perSec: number; mean: number; p99: number; hits: number } {
  for (let i = 0; i < 1000; i++) index.match(items[i % items.length]!); // warm-up
  const times: number[] = [];
  let hits = 0;
  const t0 = performance.now();
  for (const item of items) {
    const s = performance.now();
    hits += index.match(item).size;
    times.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  times.sort((a, b) => a - b);
  return { perSec: (items.length / total) * 1000, mean: (total / items.length) * 1000, p99: times[Math.floor(times.length * 0.99)]! * 1000, hits };
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
console.log(`items: ${ITEMS.length} generated news items, ~${Math.round(ITEMS.reduce((s, i) => s + (i.title + ' ' + i.summary).split(' ').length, 0) / ITEMS.length)} words each (title + summary); normalisation included`);
console.log('subs      build s   parse s   items/s   µs/item mean   µs/item p99   bytes/sub   matches/item');
const naiveRates = new Map<number, number>();
const indexRates = new Map<number, number>();
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000,1000000').split(',').map(Number);
for (const n of SIZES) {
  gc();
  const before = heap();
  const tp = performance.now();
  let subs: Array<[string, Query]> | null = makeSubs(n);
  const parseS = (performance.now() - tp) / 1000;
  const index = new SubscriptionIndex();
  const tb = performance.now();
  for (const [id, q] of subs) index.add(id, q);
  const buildS = (performance.now() - tb) / 1000;
  if ((n === 1_000 || n === 100_000) && !process.env.BENCH_NO_NAIVE) naiveRates.set(n, naive(subs, ITEMS.slice(0, n === 1_000 ? 500 : 10)));
  subs = null;
  gc();
  const bytes = (heap() - before) / n;
  if (process.env.BENCH_DEBUG) {
    const counts = new Map<string, number>();
    for (const item of ITEMS.slice(0, 200)) for (const terms of index.match(item).values()) for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
    console.log([...counts].sort((a, b) => b[1] - a[1]).slice(0, 25));
  }
  const m = measureMatch(index, ITEMS);
  indexRates.set(n, m.perSec);
  console.log(
    `${fmt(n).padStart(9)} ${fmt(buildS, 2).padStart(8)} ${fmt(parseS, 2).padStart(9)} ${fmt(m.perSec).padStart(9)} ${fmt(m.mean, 1).padStart(14)} ${fmt(m.p99, 1).padStart(13)} ${fmt(bytes).padStart(11)} ${fmt(m.hits / ITEMS.length, 1).padStart(14)}`,
  );
}
for (const [n, rate] of naiveRates) {
  console.log(`naive loop at ${fmt(n)}: ${fmt(rate, 1)} items/s → index is ${fmt(indexRates.get(n)! / rate)}× faster`);
}
// regex alternatives are not indexable: measure what a few cost per item (one time-bounded vm batch)
{
  const index = new SubscriptionIndex();
  for (const [id, q] of makeSubs(100_000)) index.add(id, q);
  const base = measureMatch(index, ITEMS).perSec;
  const pats = ['/korea(ns?)?\\b/i', '/\\bmissile test/i', '/^breaking/i', '/\\d+ (billion|million)/', '/(oil|gas) prices?/i'];
  pats.forEach((p, i) => {
    const res = parseQuery(p);
    if (res.ok) index.add(`re${i}`, res.query);
  });
  const withRe = measureMatch(index, ITEMS).perSec;
  console.log(`100k + ${pats.length} regex subscriptions: ${fmt(withRe)} items/s (without: ${fmt(base)})`);
}
