// How alike two headlines are, to post one story once per channel however many outlets carry it. Pure; every input
// is cut to a bounded length first, so a hostile title costs no more than a long real one.
//
// The measure and its threshold were chosen on real headline pairs (test/fixtures/headline-pairs.tsv; the test
// prints precision and recall per threshold): precision first, because a story merged into another is an alert
// nobody sees, while a duplicate is only noise.

/** Longest headline looked at (real headlines are under 200 characters). */
const MAX_HEADLINE = 400;
/** Most tokens kept of a headline. */
const MAX_TOKENS = 64;

/**
 * Similarity at or above which two headlines are the same story. Chosen on the fixture: the lowest threshold on a 0.05
 * grid at which no "different" pair merges (the closest one, "Fed holds rates steady" / "Bank of England holds rates
 * steady", scores 0.60); it merges 20 of the 36 "same" pairs (see test/alerts/headline-similarity.test.ts).
 */
export const SAME_STORY_THRESHOLD = 0.65;

/** Function words that carry no story: English, plus the commonest of French, German and Spanish. */
const STOP_WORDS = new Set(
  (
    'a an the and or but of to in on at by for from with as is are was were be been has have had it its this that these those ' +
    'into onto over after before about than then so says say said told amid while will would could should may might ' +
    'up out off new more most first last' +
    ' le la les un une des du de et en au aux dans pour sur par est' +
    ' der das ein eine und im zu mit von den dem ist' + // not "die": English headlines die too
    ' el los las y del por con para se'
  ).split(' '),
);
// Negations stay: "pleads not guilty" is another story than "found guilty".

/** Irregular forms the suffix stripper would miss, mapped to one stem. */
const IRREGULAR: Record<string, string> = { died: 'die', dies: 'die', dying: 'die', dead: 'die', rose: 'rise', risen: 'rise', fell: 'fall', fallen: 'fall', won: 'win', lost: 'lose', held: 'hold', kept: 'keep', beaten: 'beat' };

/** Verbs and adjectives of change that, when the headlines disagree on them, make two stories of one topic. */
const DIRECTION_GROUPS: ReadonlyArray<ReadonlySet<string>> = [
  ['raise', 'hike', 'increase', 'lift', 'rise', 'rally', 'jump', 'surge', 'soar', 'climb', 'gain'],
  ['cut', 'lower', 'reduce', 'slash', 'fall', 'drop', 'slump', 'plunge', 'sink', 'tumble', 'decline'],
  ['hold', 'keep', 'pause', 'steady', 'unchanged', 'maintain'],
  ['block', 'reject', 'veto', 'ban', 'oppose'],
  ['approve', 'clear', 'back', 'allow', 'accept'],
  ['win', 'beat', 'victory'],
  ['lose', 'defeat', 'loss'],
].map((words) => new Set(words.map(stem)));

const NUMBER_WORDS: Record<string, string> = {
  one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
  eleven: '11', twelve: '12', twenty: '20', hundred: '100',
};

/** Han, Hiragana, Katakana and Hangul: written without spaces, so compared by character bigrams. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** A headline reduced to what the comparison reads. */
export interface HeadlineShingles {
  /** Word (and CJK character-bigram) 1-shingles. */
  words: Set<string>;
  /** Adjacent-word 2-shingles. */
  pairs: Set<string>;
  /** Its numbers with repeats ("1-1" is two ones), sorted. */
  numbers: string[];
  /** Words written with a capital inside the sentence (empty for Title Case headlines). */
  names: Set<string>;
  /** The DIRECTION_GROUPS its words fall in. */
  directions: Set<number>;
}

/**
 * Strips what differs between outlets but says nothing about the story: an outlet suffix (" - BBC News",
 * " | Reuters": a trailing segment of at most four capitalised words) and a section prefix ("World › ").
 */
export function stripOutletMarks(headline: string): string {
  let text = headline.slice(0, MAX_HEADLINE).normalize('NFKC').replace(/\s+/g, ' ').trim();
  text = text.replace(/^[\p{L} ]{1,30}\s*[›»]\s*/u, '');
  const suffix = /\s+[-–—|]\s+((?:[\p{Lu}\d][\p{L}\d.'’&]*\s*){1,4})$/u.exec(text);
  if (suffix && suffix.index > 0) text = text.slice(0, suffix.index);
  return text;
}

/** Crude English stemming: enough to make "raises", "raised" and "raise" one word. */
function stem(written: string): string {
  const word = IRREGULAR[written] ?? written;
  if (word.length <= 3 || /\d/.test(word)) return word;
  for (const suffix of ['ing', 'ies', 'ed', 'es', 's', 'e']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      const base = word.slice(0, -suffix.length);
      return suffix === 'ies' ? `${base}y` : base;
    }
  }
  return word;
}

interface Token {
  text: string;
  /** Written with a capital inside the sentence (not its first word, not after a colon): likely a name. */
  name: boolean;
}

/** The tokens of a headline, in order: case-folded, stemmed, without stop words; CJK runs as character bigrams. */
export function headlineTokens(headline: string): string[] {
  return tokenize(headline).map((t) => t.text);
}

function tokenize(headline: string): Token[] {
  const text = stripOutletMarks(headline)
    .replace(/['’`](s)?\b/g, '') // possessives and quotes
    .replace(/\b((?:\p{L}\.){2,})/gu, (m) => m.replace(/\./g, '')) // U.S. → US
    .replace(/(\d),(?=\d{3}\b)/g, '$1') // 2,000 → 2000
    .replace(/(\d)(bn|m|k)\b/gi, (_m, d: string, unit: string) => `${d} ${{ bn: 'billion', m: 'million', k: 'thousand' }[unit.toLowerCase()]}`);
  const words = [...text.matchAll(/\d+(?:\.\d+)?|[\p{L}\p{M}\p{N}]+/gu)].slice(0, MAX_TOKENS);
  // A Title Case Headline capitalises every word (verbs too), so its capitals say nothing about names.
  const titleCase = !words.some((w) => /^\p{Ll}/u.test(w[0]) && !STOP_WORDS.has(w[0]));
  const tokens: Token[] = [];
  for (const match of words) {
    const word = match[0].toLowerCase();
    if (CJK.test(word)) {
      for (const bigram of cjkBigrams(word)) tokens.push({ text: bigram, name: false });
      continue;
    }
    if (STOP_WORDS.has(word)) continue;
    const starts = match.index === 0 || /[:;!?.]\s*$/.test(text.slice(Math.max(0, match.index - 3), match.index));
    const name = !titleCase && !starts && /^\p{Lu}/u.test(match[0]);
    tokens.push({ text: NUMBER_WORDS[word] ?? stem(word), name });
  }
  return tokens.slice(0, MAX_TOKENS);
}

/** A run mixing CJK and other letters: CJK characters as overlapping bigrams, the rest as one token. */
function cjkBigrams(run: string): string[] {
  const out: string[] = [];
  for (const part of run.split(/([^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+)/u)) {
    if (!part) continue;
    if (!CJK.test(part)) {
      out.push(part);
      continue;
    }
    const chars = [...part];
    if (chars.length === 1) out.push(part);
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  }
  return out;
}

export function headlineShingles(headline: string): HeadlineShingles {
  const all = tokenize(headline);
  const tokens = all.map((t) => t.text);
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) pairs.add(`${tokens[i]} ${tokens[i + 1]}`);
  return { words: new Set(tokens), pairs, numbers: tokens.filter((t) => /^\d/.test(t)).sort(), names: new Set(all.filter((t) => t.name).map((t) => t.text)), directions: directions(tokens) };
}

/** Each side has something the other lacks. */
function eachHasOwn<T>(a: Set<T>, b: Set<T>): boolean {
  return hasOwn(a, b) && hasOwn(b, a);
}

function hasOwn<T>(a: Set<T>, b: Set<T>): boolean {
  for (const x of a) if (!b.has(x)) return true;
  return false;
}

/** Each sorted list has a number (counting repeats: "1-1" against "2-1") the other lacks. */
function eachHasOwnNumber(a: readonly string[], b: readonly string[]): boolean {
  let aOwn = false;
  let bOwn = false;
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (a[i]! < b[j]!) {
      aOwn = true;
      i++;
    } else {
      bOwn = true;
      j++;
    }
  }
  return (aOwn || i < a.length) && (bOwn || j < b.length);
}

/** The direction groups a headline's words fall in. */
function directions(words: readonly string[]): Set<number> {
  const out = new Set<number>();
  DIRECTION_GROUPS.forEach((group, i) => {
    for (const w of words) if (group.has(w)) out.add(i);
  });
  return out;
}

/** Why two headlines are kept apart whatever their overlap, or null. */
export function contradiction(a: HeadlineShingles, b: HeadlineShingles): 'numbers' | 'direction' | 'names' | null {
  // "5-0" and "1-1", "$1 trillion" and "$3 trillion", Category 4 and Category 3: other events.
  if (a.numbers.length > 0 && b.numbers.length > 0 && eachHasOwnNumber(a.numbers, b.numbers)) return 'numbers';
  // "holds rates" and "raises rates": another decision.
  if (a.directions.size > 0 && b.directions.size > 0 && eachHasOwn(a.directions, b.directions)) return 'direction';
  // "Israel and Hamas agree…" and "Israel and Hezbollah agree…": each names someone the other doesn't.
  if (hasOwn(a.names, b.words) && hasOwn(b.names, a.words)) return 'names';
  return null;
}

function sharedCount(a: Set<string>, b: Set<string>): number {
  const [smaller, larger] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const x of smaller) if (larger.has(x)) shared++;
  return shared;
}

/** Fewer words than this say too little to call two headlines one story ("Live updates", "Ukraine war"). */
const MIN_WORDS = 3;

/**
 * Similarity in [0, 1]; 0 when the headlines contradict each other or one is too short to tell. Half containment of
 * word 1-shingles (a headline that adds a clause still tells the same story), a quarter each the Jaccard indexes of
 * 1- and 2-shingles (so a short headline inside a long one is not enough, and word order counts a little).
 */
export function shingleSimilarity(a: HeadlineShingles, b: HeadlineShingles): number {
  if (a.words.size < MIN_WORDS || b.words.size < MIN_WORDS) return 0;
  const shared = sharedCount(a.words, b.words);
  if (shared === 0 || contradiction(a, b)) return 0; // most headlines of a channel share no word with a new one
  const containment = shared / Math.min(a.words.size, b.words.size);
  const jaccard = shared / (a.words.size + b.words.size - shared);
  const sharedPairs = sharedCount(a.pairs, b.pairs);
  const pairsJaccard = a.pairs.size + b.pairs.size > 0 ? sharedPairs / (a.pairs.size + b.pairs.size - sharedPairs) : 0;
  return containment / 2 + jaccard / 4 + pairsJaccard / 4;
}

export function headlineSimilarity(a: string, b: string): number {
  return shingleSimilarity(headlineShingles(a), headlineShingles(b));
}

/** True when two headlines tell the same story (see SAME_STORY_THRESHOLD). */
export function sameStory(a: string, b: string, threshold = SAME_STORY_THRESHOLD): boolean {
  return headlineSimilarity(a, b) >= threshold;
}
