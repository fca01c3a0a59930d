import { describe, expect, it } from 'vitest';
import { boldRanges, buildAlertEmbed, EMBED_LIMITS, type AlertContent } from '../../src/alerts/embed.js';
import { withRating } from '../../src/ratings/rating-field.js';
import { NO_RATINGS_TEXT } from '../../src/ratings/rating.js';
import { cutEscaped } from '../../src/text/discord-markdown.js';

const base: AlertContent = {
  headline: 'North Korea leader meets families of soldiers killed fighting for Russia in Ukraine',
  link: 'https://www.bbc.com/news/articles/cdj2v7n0101o',
  summary: 'The North Korean leader met the families of soldiers killed fighting for Russia against Ukraine.',
  highlights: [{ start: 4, end: 15 }],
  image: 'https://ichef.bbci.co.uk/x.jpg',
  published: 'Tue, 25 Nov 2026 08:00:00 GMT',
  feedTitle: 'BBC News',
  feedSiteUrl: 'https://www.bbc.co.uk/news',
  terms: ['North Korea'],
};

describe('buildAlertEmbed', () => {
  it('lays out author, title, link, bold summary, thumbnail, timestamp, matched terms, rating and footer', () => {
    const embed = buildAlertEmbed(base, { count: 0, average: null });
    expect(embed.author).toEqual({ name: 'BBC News', url: 'https://www.bbc.co.uk/news' });
    expect(embed.title).toBe(base.headline);
    const bold = buildAlertEmbed({ ...base, headlineHighlights: [{ start: 0, end: 11 }] }, { count: 0, average: null });
    expect(bold.title).toBe('**North Korea** leader meets families of soldiers killed fighting for Russia in Ukraine');
    expect(embed.url).toBe(base.link);
    expect(embed.description).toBe('The **North Korea**n leader met the families of soldiers killed fighting for Russia against Ukraine.');
    expect(embed.thumbnail).toEqual({ url: 'https://ichef.bbci.co.uk/x.jpg' });
    expect(embed.timestamp).toBe('2026-11-25T08:00:00.000Z');
    expect(embed.fields).toEqual([
      { name: 'Matched', value: '**North Korea**', inline: true },
      { name: 'Rating', value: NO_RATINGS_TEXT, inline: true },
    ]);
    expect(embed.footer?.text).toContain('BBC News');
  });

  it('escapes markdown from the feed and never lets it form links or mentions', () => {
    const embed = buildAlertEmbed(
      { ...base, headline: '**Breaking** _news_ [click](https://evil.example)', summary: '# heading @everyone `code`', highlights: [] },
      { count: 0, average: null },
    );
    expect(embed.title).toBe('\\*\\*Breaking\\*\\* \\_news\\_ \\[click\\](https\\://evil.example)');
    expect(embed.description).not.toMatch(/(^|[^\\])`/);
    expect(embed.description).toContain('\\# heading');
  });

  it('keeps masked links, mentions and invisible characters out of every embed part', () => {
    const phish = '[Verify your server](https://evil.example/login)';
    const embed = buildAlertEmbed(
      { ...base, headline: `Korea \u202Eelbisivni ${phish}`, summary: `Korea ${phish} <@123> @everyone zero\u200Bwidth`, feedTitle: `Wire\u2066 ${phish}`, terms: [`Korea ${phish}`], highlights: [{ start: 0, end: 5 }] },
      { count: 0, average: null },
    );
    const parts = [embed.title!, embed.description!, embed.author!.name, embed.footer!.text, ...embed.fields!.map((f) => f.value)];
    for (const part of parts) {
      expect(part).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200D\u2060\uFEFF]/);
    }
    // Where markdown renders (title, description, fields), no unescaped bracket, mention or auto-link survives.
    for (const part of [embed.title!, embed.description!, ...embed.fields!.map((f) => f.value)]) {
      expect(part).not.toMatch(/(^|[^\\])[[\]<]/);
      expect(part).not.toContain('https://');
    }
    expect(embed.description).toContain('**Korea**');
    expect(embed.description).toContain('\\@everyone');
    // Author and footer are plain text in Discord: no escapes to show as backslashes.
    expect(embed.author!.name).toBe(`Wire ${phish}`);
  });

  it('stays within Discord limits for huge feed text', () => {
    const huge = 'x'.repeat(10_000);
    const embed = buildAlertEmbed({ ...base, headline: huge, summary: huge, feedTitle: huge, terms: [huge] }, { count: 3, average: 4 });
    expect(embed.title!.length).toBeLessThanOrEqual(EMBED_LIMITS.title);
    expect(embed.author!.name.length).toBeLessThanOrEqual(EMBED_LIMITS.authorName);
    for (const field of embed.fields!) expect(field.value.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldValue);
    const total = [embed.title, embed.description, embed.author?.name, embed.footer?.text, ...embed.fields!.flatMap((f) => [f.name, f.value])]
      .join('').length;
    expect(total).toBeLessThanOrEqual(EMBED_LIMITS.total);
  });

  it('drops non-http links, images and bad dates instead of sending what Discord rejects', () => {
    const embed = buildAlertEmbed({ ...base, link: 'javascript:alert(1)', image: 'data:image/png;base64,xx', published: 'not a date', feedSiteUrl: null }, { count: 0, average: null });
    expect(embed.url).toBeUndefined();
    expect(embed.thumbnail).toBeUndefined();
    expect(embed.timestamp).toBeUndefined();
    expect(embed.author).toEqual({ name: 'BBC News' });
  });

  it('withRating replaces only the Rating field', () => {
    const embed = withRating(buildAlertEmbed(base, { count: 0, average: null }), { count: 2, average: 4.5 });
    expect(embed.fields?.find((f) => f.name === 'Rating')?.value).toBe('★★★★½ 4.5 · 2 votes');
    expect(embed.fields?.find((f) => f.name === 'Matched')?.value).toBe('**North Korea**');
  });
});

describe('cutEscaped / boldRanges', () => {
  it('never leaves a dangling escape', () => {
    expect(cutEscaped('abc\\*def', 5)).toBe('abc…');
  });
  it('bolds several ranges and escapes between them', () => {
    expect(boldRanges('a*b North Korea c_d Kim', [{ start: 4, end: 15 }, { start: 20, end: 23 }])).toBe('a\\*b **North Korea** c\\_d **Kim**');
  });
});
