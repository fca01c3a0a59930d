// Page furniture at the top of an extracted article: what a reader skips before the story starts (bylines,
// timestamps, photo credits, "Exclusive" labels, navigation, cookie and share prompts). Pure: paragraphs in, the lead
// paragraphs out. The detectors are exported so tests (and the article corpus test) can check a summary with them.

/** A block of the extracted article, in reading order. */
export interface ArticleBlock {
  text: string;
  /** h1–h6: a headline or subheading, never the lead. */
  heading?: boolean;
}

const TIME_ZONES = 'ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|BST|UTC|CET|CEST|AEST|AEDT|IST|JST|HKT|SGT';
const MONTHS =
  'Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?';
const WEEKDAYS = 'Mon(?:day)?|Tue(?:s(?:day)?)?|Wed(?:nesday)?|Thu(?:rs(?:day)?)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?';

/** A clock time: "12:01", "10.52 BST", "1:39 PM ET". */
// No pattern here ends in optional space or comma: the separators between parts take those, so a run of stamps has
// one parse only (two ways to take each space would make a long run take exponential time).
const CLOCK = `\\d{1,2}[:.]\\d{2}(?:[:.]\\d{2})?(?:\\s*[ap]\\.?m\\.?)?(?:\\s*(?:${TIME_ZONES})\\b)?`;
/** A clock time that cannot be a number in a sentence ("12.50 euros"): it has am/pm or a zone. */
const CLOCK_STRICT = `\\d{1,2}[:.]\\d{2}\\s*(?:[ap]\\.?m\\.?(?:\\s*(?:${TIME_ZONES})\\b)?|(?:${TIME_ZONES})\\b)`;
/** A date: "Feb. 23, 2015", "22 Dec, 2016", "Monday 1 November 2021", "2016-10-14", "2016年10月14日". */
const DATE = `(?:(?:${WEEKDAYS}),?\\s+)?(?:(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?(?:,?\\s+\\d{4})?|\\d{1,2}(?:st|nd|rd|th)?\\.?\\s+(?:${MONTHS})\\.?(?:,?\\s+\\d{4})?|\\d{4}-\\d{2}-\\d{2}|\\d{1,2}/\\d{1,2}/\\d{2,4}|\\d{4}年\\d{1,2}月\\d{1,2}日)`;
const STAMP_WORDS = '(?:updated|published|posted|last updated|last modified|modified|aktualisiert|mis à jour|publié le|actualizado)';
const STAMP_PARTS = `(?:(?:${DATE}|${CLOCK})[\\s,]*)`;

/** A block that is only a timestamp: "1:39 PM ET", "Updated 12:01 GMT", "Published 22 Dec, 2016 10:01 GMT". */
const TIMESTAMP_BLOCK = new RegExp(`^(?:${STAMP_WORDS}\\s*:?\\s*)?(?:(?:${DATE}|${CLOCK}|on|at|[,|•·–—-])\\s*)+$`, 'iu');
/**
 * A timestamp in front of the story, when it can't be the story's own words: after "Updated"/"Published", ending in
 * a clock with its zone ("1:39 PM ET The president…"), or followed by a dash ("Feb. 23, 2015 -- Life-threatening…").
 * "May 5 marks…" and "12.50 euros…" stay.
 */
const TIMESTAMP_PREFIX = new RegExp(
  `^(?:${STAMP_WORDS}\\s*:?\\s*${STAMP_PARTS}+|${STAMP_PARTS}*${CLOCK_STRICT}[\\s,]*|${STAMP_PARTS}+(?:--|[–—|•·]))\\s*`,
  'iu',
);
/** A timestamp anywhere (for the detectors the tests run on a summary's first sentence). */
const TIMESTAMP_ANYWHERE = new RegExp(`(?:^|[\\s(])(?:${STAMP_WORDS}\\s*:?\\s*)?\\d{1,2}[:.]\\d{2}\\s*(?:[ap]\\.?m\\.?\\s*)?(?:${TIME_ZONES})\\b|\\b${STAMP_WORDS}\\s*:?\\s*(?:${DATE}|${CLOCK})`, 'iu');

/** "By Jane Doe", "BY TMZ STAFF", "Von Max Muster", "Par …", "Por …", "Text: …". */
const BYLINE_PREFIX = /^(?:by|von|par|por|di|door|av|af|autor(?:in)?|author|written by|words by|text)\s*:?\s+(?:\p{Lu}[\p{L}'’.-]*(?:\s+|(?=,)|$)){1,4}(?:(?:and|&|und|et|y)\s+(?:\p{Lu}[\p{L}'’.-]*(?:\s+|(?=,)|$)){1,3})?(?:,\s*[\p{L}\s]{2,40}?(?=\s|$))?/u;
/** "BY TMZ STAFF", "By Times Staff Writers": capitalised, so "By the staff of the hospital…" stays. */
const BYLINE_STAFF = /^(?:BY|By)\s+\p{Lu}[\p{L}\s&.'’-]{1,60}?\s(?:STAFF|Staff|REPORTERS?|Reporters?|WRITERS?|Writers?|CORRESPONDENTS?|Correspondents?|WIRE|Wire)\b(?:\s+(?:WRITERS?|Writers?|REPORTERS?|Reporters?))?/u;

/** Photo credits and captions: "Photo: AP", "Highlights Photo Photo", "(Bild: Hersteller)", "Source: Supplied", "© Provided by …". */
const CREDIT_PREFIX =
  /^(?:(?:highlights|photo|photos|image|images|picture|pictures|video|gallery|credit|credits|photograph|photography|foto|fotos|bild|source|quelle|crédit|©|\(c\))\b[\s:]*)+(?:(?:by|:)\s*)?/iu;
const CREDIT_BLOCK =
  /^(?:in this (?:\w+ )?(?:photo|image|picture).*|(?:photo|image|picture|video|foto|bild|credit|source|quelle|©)\s*:?.{0,100}|.{0,80}\b(?:getty images|afp|reuters|associated press|ap photo|epa|shutterstock|dpa)\b.{0,40}|\(?(?:bild|photo|foto|image)\s*:[^)]{0,80}\)?|\d+\s*\/\s*\d+)$/iu;

/** Labels, not words of the story: "EXCLUSIVE", "BREAKING", "LIVE", "Analysis:". */
const LABEL_WORDS = 'exclusive|breaking(?: news)?|live|updated?|developing|analysis|opinion|watch|video|advertisement|sponsored(?: content)?|just in|biz & it';
const LABEL_PREFIX = new RegExp(`^(?:${LABEL_WORDS})(?=\\s|[:|—–-]|$)\\s*(?:[:|—–-]\\s*)?`, 'iu');

/** A label in front of the story is dropped only when it can't be the story's first word: in capitals, or followed by ":" or a dash. */
function labelPrefix(text: string): string | null {
  const m = LABEL_PREFIX.exec(text);
  if (!m) return null;
  const word = m[0].trim().replace(/[:|—–-]$/, '').trim();
  const separated = /[:|—–-]\s*$/.test(m[0]);
  const capitals = word === word.toUpperCase() && /\p{Lu}/u.test(word);
  return separated || capitals ? m[0] : null;
}

/** Navigation, cookie, share and sign-up text. */
const CHROME_WORDS =
  /(?:\b(?:cookies?|accept all|privacy (?:policy|settings)|terms of (?:use|service)|skip to (?:main )?content|sign up|sign in|log in|subscribe|newsletter|in your inbox|share (?:this|on|via)|^share$|e-?mail this|print this|copy link|comments?\s*\(\d+\)|related (?:stories|articles|topics)|read more|continue reading|more from|advertisement|watch live|follow us|powered by|zum newsletter|teilen|partager|compartir)\b|转播到|分享到|点击|订阅)/iu;
/** Two or more share targets in a row: "Facebook Twitter Email". */
const SHARE_TARGETS = /\b(?:facebook|twitter|x|whatsapp|pinterest|linkedin|reddit|email|e-mail|print|messenger|telegram)\b[\s|•·,]*\b(?:facebook|twitter|whatsapp|pinterest|linkedin|reddit|email|e-mail|print|messenger|telegram)\b/i;
/** A bracketed promotion: "[What you need to know to start the day: Get New York Today in your inbox.]". */
const BRACKETED = /^\[[^\]]*\]$/;

/** Menus glued together by extraction: "Watch LiveBritish Broadcasting CorporationHomeNewsSport…". */
function isGluedNavigation(text: string): boolean {
  const head = text.slice(0, 2 * FURNITURE_MAX_CHARS);
  const glued = head.match(/\p{Ll}\p{Lu}/gu)?.length ?? 0;
  const words = head.split(/\s+/).length;
  return glued >= 3 && glued * 4 >= words;
}

const TERMINAL = /[.!?。！？…]["”'’»)\]]?$/u;
const SENTENCE_END = /[.。]["”'’»)\]]?$/u;
const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });

/** Words in `text`, counted up to `limit` (every caller compares with a small number). */
export function wordCount(text: string, limit = 64): number {
  let n = 0;
  for (const { isWordLike } of wordSegmenter.segment(text.slice(0, 2000))) if (isWordLike && ++n >= limit) break;
  return n;
}

/** Furniture is short: the patterns run on at most this much text, so no block, however long, makes them slow. */
const FURNITURE_MAX_CHARS = 300;

export type FurnitureKind = 'timestamp' | 'byline' | 'credit' | 'label' | 'navigation' | 'chrome';

/** What furniture a block (or a sentence) is, or null when it reads as the story. */
export function furnitureKind(text: string): FurnitureKind | null {
  const t = text.trim();
  if (!t) return 'chrome';
  if (isGluedNavigation(t)) return 'navigation';
  if (t.length > FURNITURE_MAX_CHARS) return null;
  if (TIMESTAMP_BLOCK.test(t)) return 'timestamp';
  const words = wordCount(t);
  // the keyword in any case ("By", "BY"), the names capitalised: "by the river" is not a byline
  const keywordLowered = t.replace(/^\S+/, (word) => word.toLowerCase());
  if (words <= 12 && (BYLINE_STAFF.test(t) || (BYLINE_PREFIX.test(keywordLowered) && !TERMINAL.test(t)))) return 'byline';
  if (words <= 25 && CREDIT_BLOCK.test(t)) return 'credit';
  if (words <= 4 && LABEL_PREFIX.test(t) && !t.replace(LABEL_PREFIX, '').trim()) return 'label';
  if (BRACKETED.test(t)) return 'chrome';
  // a sentence may name Twitter or a newsletter; a short line without a full stop that does is a prompt
  if (CHROME_WORDS.test(t) && (words <= 8 || (words <= 25 && !TERMINAL.test(t)))) return 'chrome';
  if (words <= 12 && SHARE_TARGETS.test(t)) return 'chrome';
  return null;
}

/** Furniture anywhere in a sentence, for checking a finished summary: timestamps, bylines, chrome, glued menus. */
export function furnitureIn(sentence: string): FurnitureKind | null {
  const t = sentence.trim().slice(0, 2 * FURNITURE_MAX_CHARS);
  if (isGluedNavigation(t)) return 'navigation';
  if (TIMESTAMP_ANYWHERE.test(t)) return 'timestamp';
  if (BYLINE_STAFF.test(t) || /^(?:by|von|par|por)\s+\p{Lu}[\p{L}.'’-]+(?:\s+\p{Lu}[\p{L}.'’-]+){0,3}\s*$/u.test(t)) return 'byline';
  if (/^(?:photo|image|credit|bild|foto|©)\s*:/iu.test(t) || /\bPhoto Photo\b/.test(t)) return 'credit';
  if (/^(?:exclusive|breaking)\b/iu.test(t)) return 'label';
  if (/\b(?:accept (?:all )?cookies|we use cookies|cookie (?:policy|settings)|share (?:this|on facebook|on twitter|via)|sign up for (?:our|the) newsletter|skip to (?:main )?content|watch live)\b/iu.test(t)) return 'chrome';
  return null;
}

/** The story's first block with the furniture in front of it removed ("1:39 PM ET …", "BY TMZ STAFF EXCLUSIVE …"). */
export function stripLeadingFurniture(text: string): string {
  const whole = text.trim();
  // the furniture is in the head; the patterns see only that, and the rest is put back
  let t = whole.slice(0, FURNITURE_MAX_CHARS);
  const tail = whole.slice(FURNITURE_MAX_CHARS);
  // bounded: each pass removes a non-empty prefix, and a lead has only so many labels in front of it
  for (let pass = 0; pass < 8; pass++) {
    const before = t;
    t = t.replace(/^[\s|•·–—-]+/u, '');
    const staff = BYLINE_STAFF.exec(t);
    if (staff) t = t.slice(staff[0].length);
    const label = labelPrefix(t);
    if (label) t = t.slice(label.length);
    t = t.replace(CREDIT_PREFIX, (m) => (isCreditPrefix(m, t.slice(m.length)) ? '' : m));
    t = t.replace(TIMESTAMP_PREFIX, '');
    t = t.trim();
    if (t === before) break;
  }
  return tail ? `${t}${tail}`.trim() : t;
}

/** "Photo Photo" in front of a capitalised sentence is a credit; "Photos of the crash show…" is the story. */
function isCreditPrefix(prefix: string, rest: string): boolean {
  if (!prefix.trim()) return false;
  const words = prefix.trim().split(/\s+/);
  const repeated = words.length >= 2 || /[:©]/.test(prefix) || /^\(?c\)/i.test(prefix);
  return repeated && /^\p{Lu}/u.test(rest.trim());
}

/** Does this block read as prose (a sentence of the story), not a fragment? */
export function isProse(text: string): boolean {
  const words = wordCount(text);
  // CJK text has no spaces: the word segmenter still finds its words, but a sentence mark is the clearer sign
  if (/[。！？]/u.test(text)) return words >= 4;
  return words >= 8 || (words >= 4 && TERMINAL.test(text.trim()));
}

/**
 * The lead of the story: leading furniture blocks dropped, furniture in front of the first block stripped, then
 * blocks of prose joined (furniture blocks between them skipped) until `maxChars` is reached. '' when no prose.
 */
export function leadText(blocks: readonly ArticleBlock[], maxChars: number): string {
  const parts: string[] = [];
  let length = 0;
  let fallback = '';
  for (const block of blocks.slice(0, 200)) {
    // the summary keeps a few sentences: a longer block is cut here, before any pattern looks at it
    let text = block.text.slice(0, 4 * maxChars).replace(/\s+/g, ' ').trim();
    // CNN sets its first sentence as an <h2>: a "heading" that is a long sentence with a full stop is prose
    if (block.heading && !(SENTENCE_END.test(text) && wordCount(text) >= 12)) {
      if (parts.length) break; // the next section: the lead is done
      continue;
    }
    if (parts.length === 0) text = stripLeadingFurniture(text);
    if (!text || furnitureKind(text) || !isProse(text)) continue;
    // a block without a closing stop is a standfirst, a caption or a teaser, not a paragraph of the story
    if (!TERMINAL.test(text)) {
      fallback ||= text;
      continue;
    }
    parts.push(text);
    length += text.length + 1;
    if (length >= maxChars) break;
  }
  return parts.length ? parts.join(' ').trim() : fallback;
}
