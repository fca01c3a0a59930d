/**
 * The one path untrusted text (feed titles, summaries, errors, queries) takes into a Discord message. A leaf module:
 * no imports, so alerts, notices and commands all use it without depending on each other.
 *
 * Discord's parser honours a backslash before any character that is not a letter, digit or space (`\*` shows `*`),
 * so escaping never changes what a reader sees; it only stops the text from *forming* markdown: bold, masked links
 * `[x](y)`, mentions `<@id>` `@everyone`, headings, lists, quotes, code, spoilers, auto-links and link previews.
 * Invisible characters that could disguise text (bidi overrides, zero-width joiners) are removed first.
 */

/** Bidi controls (U+202A–E, U+2066–9, U+200E/F, U+061C) and zero-width characters (U+200B–D, U+2060, U+FEFF). */
const INVISIBLE = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF]/g;
/** C0 controls other than tab and newline, and DEL. */
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;
/** Characters that form markdown wherever they are: emphasis, code, spoilers, masked links, mentions/emoji/timestamps. */
const SPECIAL_ANYWHERE = /[\\*_~`|[\]<]/g;
/** `@everyone` / `@here`: inert with allowed_mentions, but still drawn as a mention. */
const MASS_MENTION = /@(everyone|here)\b/gi;
/** `https://…` auto-links (and unfurls in content): escaping the colon keeps the text but not the link. */
const SCHEME = /\b([a-z][a-z0-9+.-]*):(?=\/\/)/gi;
/** Line-start constructs: headings `#`/`-#`, quotes `>`, bullets `-`/`+`, numbered lists `1.`. */
const LINE_START = /^([ \t]*)(?:([#>+-])|(\d+)\.)/gm;

/** Removes bidi controls, zero-width characters and control characters (keeps tab and newline). */
export function stripInvisible(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(INVISIBLE, '').replace(CONTROL, '');
}

/**
 * Makes untrusted text inert in Discord markdown (message content, embed descriptions, field values, titles).
 * Keeps line breaks; everything a reader sees is unchanged apart from removed invisible characters.
 */
export function escapeMarkdownText(raw: string): string {
  return stripInvisible(raw)
    .replace(SPECIAL_ANYWHERE, '\\$&')
    .replace(MASS_MENTION, '\\@$1')
    .replace(SCHEME, '$1\\:')
    .replace(LINE_START, (_m, lead: string, mark: string | undefined, digits: string | undefined) => (mark ? `${lead}\\${mark}` : `${lead}${digits}\\.`));
}

/** Cuts already-escaped markdown to `max` characters (with an ellipsis) without leaving a dangling backslash. */
export function cutEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = text.slice(0, Math.max(0, max - 1));
  const trailingBackslashes = /\\+$/.exec(out)?.[0].length ?? 0;
  if (trailingBackslashes % 2 === 1) out = out.slice(0, -1);
  return `${out.trimEnd()}…`;
}

/** Collapses every run of whitespace (newlines too) to one space. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Untrusted text for one line of a message (a feed title in a list, an error in a reply): one line, escaped, at most
 * `max` characters. The input is bounded first, so a huge title costs no more than a short one.
 */
export function inlineMarkdown(raw: string, max = 200): string {
  return cutEscaped(escapeMarkdownText(oneLine(stripInvisible(raw.slice(0, 4 * max)))), max);
}

/** Untrusted text as inline code (a query): nothing inside renders; backticks become a look-alike. */
export function codeSpan(raw: string, max = 300): string {
  const text = oneLine(stripInvisible(raw.slice(0, 4 * max))).replace(/`/g, 'ˋ');
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut ? `\`${cut}\`` : '(empty)';
}

/**
 * Untrusted text for places Discord draws as plain text (embed author and footer, autocomplete choices): no markdown
 * there, so nothing is escaped, but invisible characters go and it stays on one line within `max`.
 */
export function plainText(raw: string, max: number): string {
  const text = oneLine(stripInvisible(raw.slice(0, 4 * max)));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
