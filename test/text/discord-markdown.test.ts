import { describe, expect, it } from 'vitest';
import { codeSpan, cutEscaped, escapeMarkdownText, inlineMarkdown, plainText, stripInvisible } from '../../src/text/discord-markdown.js';

/** What Discord shows for escaped text: every `\x` (x not a letter, digit or space) is drawn as `x`. */
const shown = (escaped: string) => escaped.replace(/\\([^0-9A-Za-z\s])/g, '$1');
/** A character that forms markdown and is not preceded by an escaping backslash. */
const unescaped = (escaped: string, char: string) => new RegExp(`(^|[^\\\\])(\\\\\\\\)*${char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(escaped);

describe('escapeMarkdownText', () => {
  it('leaves ordinary text as it is', () => {
    for (const text of ['North Korea leader meets families', "Kim's visit: 3 days, 2 cities (so far).", 'Prix 12,50 € — été 2026', 'A-B test at 10:30 UTC']) {
      expect(escapeMarkdownText(text)).toBe(text);
    }
  });

  it('neutralises masked links: brackets escaped, the URL no longer links', () => {
    const out = escapeMarkdownText('[Verify your server](https://evil.example/login)');
    expect(out).toBe('\\[Verify your server\\](https\\://evil.example/login)');
    expect(unescaped(out, '[')).toBe(false);
    expect(unescaped(out, ']')).toBe(false);
    expect(out).not.toContain('https://');
    expect(shown(out)).toBe('[Verify your server](https://evil.example/login)');
  });

  it('neutralises emphasis, code, spoilers and strike-through', () => {
    const raw = '**bold** __under__ *it* _it_ ~~gone~~ ||secret|| `code` ```fence```';
    const out = escapeMarkdownText(raw);
    for (const char of ['*', '_', '~', '|', '`']) expect(unescaped(out, char)).toBe(false);
    expect(shown(out)).toBe(raw);
  });

  it('neutralises mentions, channel and role links, emoji and timestamps', () => {
    const raw = '@everyone @here <@123456789012345678> <@!1> <#123> <@&456> <t:1700000000:R> <:x:1> </cmd:1>';
    const out = escapeMarkdownText(raw);
    expect(out).not.toMatch(/(^|[^\\])</);
    expect(out).not.toMatch(/(^|[^\\])@(everyone|here)/);
    expect(shown(out)).toBe(raw);
  });

  it('neutralises line-start headings, subtext, lists and block quotes, and only at the start of a line', () => {
    const raw = '# Big\n## Bigger\n-# small\n- item\n+ item\n* item\n1. first\n> quote\n>>> rest\n  # indented\nmid # and - and > stay';
    const out = escapeMarkdownText(raw);
    expect(out.split('\n')).toEqual([
      '\\# Big',
      '\\## Bigger',
      '\\-# small',
      '\\- item',
      '\\+ item',
      '\\* item',
      '1\\. first',
      '\\> quote',
      '\\>>> rest',
      '  \\# indented',
      'mid # and - and > stay',
    ]);
    expect(shown(out)).toBe(raw);
  });

  it('escapes backslashes so they cannot undo an escape', () => {
    expect(escapeMarkdownText('\\[x](y)')).toBe('\\\\\\[x\\](y)');
  });

  it('removes bidi controls and zero-width characters, and control characters', () => {
    const bidi = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
    const zeroWidth = ['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF'];
    for (const c of [...bidi, ...zeroWidth, '\u0000', '\u0007', '\u001B', '\u007F']) {
      expect(escapeMarkdownText(`ab${c}cd`)).toBe('abcd');
    }
    expect(escapeMarkdownText('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(escapeMarkdownText('@\u200Beveryone')).toBe('\\@everyone');
    expect(stripInvisible('a\r\nb\rc\td')).toBe('a\nb\nc\td');
  });
});

describe('inlineMarkdown / codeSpan / plainText / cutEscaped', () => {
  it('inlineMarkdown puts text on one line, escaped and bounded', () => {
    expect(inlineMarkdown('  Flaky\n# *Wire*  ')).toBe('Flaky # \\*Wire\\*');
    const long = inlineMarkdown('*'.repeat(10_000), 200);
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long.endsWith('…')).toBe(true);
    expect(/(^|[^\\])(\\\\)*\\…$/.test(long)).toBe(false);
  });

  it('codeSpan keeps a query readable and inert', () => {
    expect(codeSpan('North Korea, -football')).toBe('`North Korea, -football`');
    expect(codeSpan('a` [x](https://e.example) `b')).toBe('`aˋ [x](https://e.example) ˋb`');
    expect(codeSpan('\u202E')).toBe('(empty)');
  });

  it('plainText strips invisible characters without adding escapes', () => {
    expect(plainText('BBC\u200B *News*\n', 50)).toBe('BBC *News*');
    expect(plainText('x'.repeat(300), 256)).toHaveLength(256);
  });

  it('cutEscaped never leaves a dangling backslash', () => {
    expect(cutEscaped('abc\\*def', 5)).toBe('abc…');
    expect(cutEscaped('ab\\\\cdef', 5)).toBe('ab\\\\…');
  });
});
