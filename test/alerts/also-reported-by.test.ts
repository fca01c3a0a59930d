// The "Also reported by" field (pure) and the per-channel list of recent headlines it is decided from.
import { describe, expect, it } from 'vitest';
import { ALSO_REPORTED_BY, alsoReportedByField, MAX_REPORTERS, mergeReporters, withAlsoReportedBy, type Reporter } from '../../src/alerts/also-reported-by.js';
import { EMBED_LIMITS } from '../../src/alerts/embed.js';
import { findSameStory, MAX_RECENT_HEADLINES, withHeadline, withReporter, type RecentHeadline } from '../../src/alerts/recent-headlines.js';

const reporter = (n: number, outlet = `Outlet ${n}`): Reporter => ({ outlet, feedUrl: `https://o${n}.example/feed.xml`, link: `https://o${n}.example/story` });

describe('alsoReportedByField', () => {
  it('links each outlet to its article', () => {
    expect(alsoReportedByField([reporter(1), reporter(2)])).toEqual({ name: ALSO_REPORTED_BY, value: '[Outlet 1](https://o1.example/story), [Outlet 2](https://o2.example/story)' });
    expect(alsoReportedByField([])).toBeNull();
  });

  it('names five outlets, then counts the rest', () => {
    const value = alsoReportedByField([1, 2, 3, 4, 5, 6, 7].map((n) => reporter(n)))!.value;
    expect(value.match(/\]\(/g)).toHaveLength(5);
    expect(value).toMatch(/Outlet 5\]\([^)]*\) and 2 more$/);
  });

  it('escapes outlet names and keeps link targets from closing early; no link or a bad one: the name alone', () => {
    const value = alsoReportedByField([
      { outlet: '**Bold** [x](https://evil.example) @everyone', feedUrl: 'https://a.example/f', link: 'https://a.example/a_(b) c' },
      { outlet: 'No link', feedUrl: 'https://b.example/f', link: null },
      { outlet: 'Script', feedUrl: 'https://c.example/f', link: 'javascript:alert(1)' },
      { outlet: '   ', feedUrl: 'https://d.example/f', link: null },
    ])!.value;
    expect(value).toBe(
      '[\\*\\*Bold\\*\\* \\[x\\](https\\://evil.example) \\@everyone](https://a.example/a_%28b%29%20c), No link, Script, d.example',
    );
  });

  it('stays within Discord\'s field limit whatever the names and links', () => {
    const huge = Array.from({ length: 40 }, (_, n) => ({ outlet: `*${'x'.repeat(500)}`, feedUrl: `https://o${n}.example/f`, link: `https://o${n}.example/${'p'.repeat(2000)}` }));
    const field = alsoReportedByField(huge)!;
    expect(field.value.length).toBeLessThanOrEqual(EMBED_LIMITS.fieldValue);
    expect(field.value).toMatch(/ and \d+ more$/);
  });
});

describe('mergeReporters and withAlsoReportedBy', () => {
  it('lists a feed once, in arrival order, up to a bound', () => {
    expect(mergeReporters([reporter(1)], [reporter(2), reporter(1), reporter(3)]).map((r) => r.outlet)).toEqual(['Outlet 1', 'Outlet 2', 'Outlet 3']);
    const many = Array.from({ length: MAX_REPORTERS + 10 }, (_, n) => reporter(n));
    expect(mergeReporters([], many)).toHaveLength(MAX_REPORTERS);
  });

  it('replaces the field in place of adding a second one, and keeps the other fields', () => {
    const embed = { title: 't', fields: [{ name: 'Matched', value: 'x' }, { name: 'Rating', value: 'r' }] };
    const once = withAlsoReportedBy(embed, [reporter(1)]);
    const twice = withAlsoReportedBy(once, [reporter(1), reporter(2)]);
    expect(twice.fields!.map((f) => f.name)).toEqual(['Matched', 'Rating', ALSO_REPORTED_BY]);
    expect(twice.fields![2]!.value).toContain('Outlet 2');
    expect(withAlsoReportedBy(twice, []).fields!.map((f) => f.name)).toEqual(['Matched', 'Rating']);
  });
});

describe('recent headlines of a channel', () => {
  const at = new Date('2026-11-25T08:00:00Z');
  const DAY = 24 * 60 * 60_000;
  const headline = (n: number, title: string, when = at): RecentHeadline => ({ title, feedUrl: 'https://a.example/f', outboxKey: `c1|link:${n}`, storyKeys: [`link:${n}`], at: when.toISOString(), reportedBy: [] });

  it('finds the same story within the window, not after it, and not a different story', () => {
    const list = withHeadline(undefined, headline(1, 'North Korea fires ballistic missile into sea, South Korea says'), at, DAY);
    const same = 'North Korea fires ballistic missile toward East Sea, South Korean military says';
    expect(findSameStory(list, same, new Date(at.getTime() + DAY - 1), DAY)?.outboxKey).toBe('c1|link:1');
    expect(findSameStory(list, same, new Date(at.getTime() + DAY), DAY)).toBeNull();
    expect(findSameStory(list, 'North Korean soldier defects across border, South Korea says', at, DAY)).toBeNull();
  });

  it('keeps the newest headlines within the window, at most MAX_RECENT_HEADLINES', () => {
    let list = withHeadline(undefined, headline(0, 'an old one', new Date(at.getTime() - 2 * DAY)), at, 3 * DAY);
    list = withHeadline(list, headline(1, 'a fresh one'), at, DAY);
    expect(list.headlines.map((h) => h.title)).toEqual(['a fresh one']);
    for (let n = 0; n < MAX_RECENT_HEADLINES + 5; n++) list = withHeadline(list, headline(n, `headline ${n}`), at, DAY);
    expect(list.headlines).toHaveLength(MAX_RECENT_HEADLINES);
    expect(list.headlines.at(-1)!.title).toBe(`headline ${MAX_RECENT_HEADLINES + 4}`);
  });

  it('records another outlet on the headline it names, once', () => {
    let list = withHeadline(undefined, headline(1, 'one'), at, DAY);
    list = withHeadline(list, headline(2, 'two'), at, DAY);
    list = withReporter(withReporter(list, 'c1|link:2', reporter(7)), 'c1|link:2', reporter(7));
    expect(list.headlines.map((h) => h.reportedBy.length)).toEqual([0, 1]);
  });
});
