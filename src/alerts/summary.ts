export const SUMMARY_MAX_CHARS = 400;

/** Lines feeds append to every summary that say nothing about the story. */
const CHROME_PATTERNS = [
  /\bThe post .{1,300}? appeared first on .{1,200}?\.?$/i,
  /\b(Continue|Keep) reading\b.{0,120}$/i,
  /\bRead (the )?(full|more|rest of( the)?) (story|article|post)\b.{0,120}$/i,
  /\bRead more\b[.…:»›\s]*$/i,
  /\[(…|\.\.\.)\]\s*$/,
  /\bClick here\b.{0,120}$/i,
  /^(Comments|Article URL):.*$/im,
];

function stripChrome(text: string): string {
  let out = text;
  for (const pattern of CHROME_PATTERNS) out = out.replace(pattern, '').trim();
  return out;
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
const wordSegmenter = new Intl.Segmenter('en', { granularity: 'word' });

/**
 * A summary of at most `max` characters in whole sentences. When even the first sentence is too long it is cut at a
 * word boundary and ends with an ellipsis. The headline is dropped when the text merely repeats it.
 */
export function summarize(text: string, options: { max?: number; title?: string } = {}): string {
  const max = options.max ?? SUMMARY_MAX_CHARS;
  let body = stripChrome(text.replace(/\n+/g, ' ').replace(/\s+/g, ' ').trim());
  const title = options.title?.trim();
  if (title && body.toLowerCase().startsWith(title.toLowerCase())) {
    const rest = body.slice(title.length).replace(/^[\s.:;,–—-]+/, '');
    if (rest.length > 0) body = rest;
  }
  if (body.length <= max) return body;

  let out = '';
  for (const { segment } of sentenceSegmenter.segment(body)) {
    if ((out + segment).trimEnd().length > max) break;
    out += segment;
  }
  out = out.trim();
  if (out.length > 0) return out;

  // The first sentence alone is too long: cut at the last word boundary that fits, leaving room for the ellipsis.
  let cut = 0;
  for (const { index, isWordLike } of wordSegmenter.segment(body)) {
    if (index > max - 1) break;
    if (!isWordLike) cut = index;
  }
  return `${body.slice(0, cut || max - 1).replace(/[\s,;:–—-]+$/, '')}…`;
}
