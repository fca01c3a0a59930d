// Text feeds put around every item that says nothing about the story: "read more" links, aggregator metadata,
// share/subscribe prompts, "The post X appeared first on Y". One list, applied to the plain text (lines = blocks).
//
// To add a form: put it in READ_MORE (a "read more" link in any language: the words only, the punctuation and
// arrows around them are handled) or add a line to LINE_PATTERNS (a whole block to drop) or TAIL_PATTERNS (a phrase
// to cut from the end of the text), with the feed it was seen in. test/feeds/parse/boilerplate.test.ts has one case
// per form; add one there too.

/** "Read more" links, as their words. Latin-script forms match whole words, case-insensitively. */
const READ_MORE = [
  // English
  'read more', 'read the rest', 'read the full (?:story|article|post|review|report)', 'read full (?:story|article|post)',
  'continue reading(?: [^\\n]{0,120}?)?', 'keep reading', 'more »', 'view (?:the )?full (?:story|article|post)',

  // German, French, Spanish, Italian, Portuguese, Dutch, Scandinavian, Polish, Turkish, Russian
  'weiterlesen', 'mehr lesen', 'zum artikel', 'lire la suite', 'lire plus', 'leer más', 'seguir leyendo',
  'continuar leyendo', 'continua a leggere', 'leggi tutto', 'leggi di più', 'leia mais', 'continue lendo',
  'continuar lendo', 'lees meer', 'verder lezen', 'läs mer', 'les mer', 'læs mere', 'lue lisää', 'czytaj dalej',
  'czytaj więcej', 'devamını oku', 'читать далее', 'читать полностью', 'подробнее', 'читать дальше',
];
/**
 * Forms that are link text wherever they stand, even run into the story's last word: forms in scripts without word
 * spaces (Korean included) and a few English prompts no sentence ends with.
 */
const READ_MORE_CJK = [
  'click here (?:to read more|to continue|for (?:the )?(?:show notes|more(?: info(?:rmation)?)?|details|full story))',
  'read more of this (?:story|article|post) at [^\\n.!?]{1,60}', 'digg story', 'download (?:the )?(?:podcast|episode|mp3)',
  '글 전체보기', '전체보기', '더 보기', '더보기', '浏览全文', '阅读全文', '閱讀全文', '查看全文', '阅读更多', '全文を読む',
  '続きを読む', '続きはこちら', 'もっと読む',
];

// "… Leia mais no Massa News!", "Read more at The Verge"
const READ_MORE_RE = `(?:${[...READ_MORE, ...READ_MORE_CJK].join('|')})(?:\\s+(?:on|at|in|from|no|na|em|sur|auf|bei|en|su|в|на)\\s+[^\\n.!?]{1,60})?(?:\\s*\\(\\d[^)\\n]{0,30}\\))?`;
const LEAD = String.raw`(?:\.\.\.|…|[\[(<«»›→|¦:-]|\s)*`;
const TRAIL = String.raw`(?:\.\.\.|…|[\])>»›→.:!¦]|&gt;|\s)*`;

/** Whole blocks (lines) to drop. */
const LINE_PATTERNS: RegExp[] = [
  new RegExp(`^${LEAD}(?:${READ_MORE_RE})${TRAIL}$`, 'iu'),
  // Hacker News and other aggregators: "Article URL: …", "Comments URL: …", "Points: 37", "# Comments: 1"
  /^(?:Article URL|Comments URL|Points|# Comments|Comments|Source|Via|Permalink|URL):(?:\s.*)?$/i,
  /^(?:\d+\s+points?(?:\s+by\s+\S+)?[,\s|]+)?\d+\s+comments?$/i,
  /^\d+\s+points?(?:\s+by\s+\S+)?(?:\s+\S+\s+ago)?$/i,
  // "Tags: a, b, c", "Filed under: …", "Posted in …"
  /^(?:Tags?|Tagged(?: with)?|Filed under|Categories|Category|Posted in|Schlagwörter|Étiquettes|Etiquetas)\s*:.{0,400}$/i,
  // share / subscribe prompts
  /^(?:Get our|Sign up (?:for|to)|Subscribe (?:to|for|now)|Follow us (?:on|at)|Like us on|Share (?:this|on)|Join us on|Download (?:our|the) app)\b.{0,300}$/i,
  /^(?:Share|Tweet|Email|Print|Pin it|Share this:?)(?:\s*[|·,]\s*(?:Share|Tweet|Email|Print|Facebook|Twitter|LinkedIn|WhatsApp|Reddit))*$/i,
  /^The post .{1,300} appeared first on .{1,200}$/i,
  /^(?:\[(?:…|\.\.\.)\]|…|\.\.\.)$/,
  // Reddit: "submitted by /u/name to /r/sub", "[link] [12 comments]"
  /^submitted by\s*\S+(?:\s*to\s*\S+)?(?:\s*\[link\]\s*\[(?:\d+ )?comments?\])?$/i,
  /^(?:\[link\]\s*)?\[(?:\d+ )?comments?\]$/i,
];

/** Phrases cut from the end of the text (the last block), when a feed appends them to the story's own sentence. */
const TAIL_PATTERNS: RegExp[] = [
  /\s*\bThe post .{1,300}? appeared first on .{1,200}$/i,
  // after the story's last sentence ("… the storm. Read more"), or marked as a link ("the storm Read more »")
  new RegExp(`(?<=[.!?…。！？\\])"”’»|¦]|^)${LEAD}(?:${READ_MORE_RE})${TRAIL}$`, 'iu'),
  new RegExp(`\\s+[\\[(]?(?:${READ_MORE_RE})\\s*(?:»|›|→|>>|\\.\\.\\.|…|\\]|\\)|¦|\\|)+\\s*$`, 'iu'),
  new RegExp(`\\s*(?:${READ_MORE_CJK.join('|')})${TRAIL}$`, 'iu'),
  /\s*\[(?:…|\.\.\.)\]\s*$/,
  /\s*\bComments URL:.*$/i,
  // a closing link prompt: "… badly I embarrassed myself. Click here to unveil the terror"
  /(?:(?<=[.!?…])|^)\s*Click here\b[^.!?\n]{0,80}[.!]?$/i,
];

const MAX_LINES = 400;

/** The text without boilerplate blocks or trailers. Lines are kept as lines. */
export function stripBoilerplate(text: string): string {
  if (!text) return text;
  const lines = text.split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    // Bounded: a pathological item with thousands of blocks keeps its tail unchecked rather than costing time.
    if (i >= MAX_LINES) {
      kept.push(...lines.slice(i));
      break;
    }
    if (!line) {
      if (kept.length > 0 && kept[kept.length - 1] !== '') kept.push(''); // a break marked by an earlier pass
      continue;
    }
    if (!LINE_PATTERNS.some((p) => p.test(line))) kept.push(line);
    // A dropped block still separates its neighbours: an empty line, which summarize reads as a sentence break.
    else if (kept.length > 0 && kept[kept.length - 1] !== '') kept.push('');
  }
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  // Trailers, last block first: at most a few rounds ("… Read more » The post X appeared first on Y").
  for (let round = 0; round < 3 && kept.length > 0; round++) {
    const last = kept[kept.length - 1]!;
    let cut = last;
    for (const p of TAIL_PATTERNS) cut = cut.replace(p, '').trimEnd();
    if (cut === last) break;
    if (cut) kept[kept.length - 1] = cut;
    else kept.pop();
  }
  return kept.join('\n');
}
