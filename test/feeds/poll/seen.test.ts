import { describe, expect, it } from 'vitest';
import { findNewItems, identifyingLinks, SEEN_MIN } from '../../../src/feeds/poll/seen.js';
import type { FeedItem } from '../../../src/feeds/types.js';

const item = (id: string, published: string | null = null, link: string | null = `https://news.example/${id}`): FeedItem => ({
  id, link, title: `Story ${id}`, summaryHtml: '', author: null, categories: [], image: null, published,
});

describe('findNewItems', () => {
  it('posts nothing on the first fetch but remembers everything', () => {
    const { newItems, next } = findNewItems(undefined, [item('a'), item('b')]);
    expect(newItems).toEqual([]);
    expect(next.ids).toEqual(['a', 'b']);
  });

  it('finds new ids, oldest first by date, else by reverse feed order', () => {
    const seen = findNewItems(undefined, [item('a')]).next;
    const byDate = findNewItems(seen, [item('c', '2026-11-25T10:00:00Z'), item('b', '2026-11-25T09:00:00Z'), item('a')]);
    expect(byDate.newItems.map((i) => i.id)).toEqual(['b', 'c']);
    const byOrder = findNewItems(seen, [item('c'), item('b'), item('a')]);
    expect(byOrder.newItems.map((i) => i.id)).toEqual(['b', 'c']);
  });

  it('does not re-post when pubDates change or order shuffles', () => {
    const seen = findNewItems(undefined, [item('a', '2026-11-01T00:00:00Z'), item('b', '2026-11-01T00:00:00Z')]).next;
    expect(findNewItems(seen, [item('b', '2026-11-25T00:00:00Z'), item('a', '2026-11-26T00:00:00Z')]).newItems).toEqual([]);
  });

  it('does not miss items that share one timestamp', () => {
    const t = '2026-11-25T00:00:00Z';
    const seen = findNewItems(undefined, [item('a', t)]).next;
    expect(findNewItems(seen, [item('c', t), item('b', t), item('a', t)]).newItems.map((i) => i.id)).toEqual(['b', 'c']);
  });

  it('does not re-post an item re-issued under a new id with the same link', () => {
    const seen = findNewItems(undefined, [item('a')]).next;
    const result = findNewItems(seen, [item('a-v2', null, 'https://news.example/a')]);
    expect(result.newItems).toEqual([]);
    expect(result.next.ids).toContain('a-v2');
  });

  it("a link shared by several items (a podcast's show page) does not identify them (issue 8, finding 8)", () => {
    const show = 'https://podcast.example/show';
    const seen = findNewItems(undefined, [item('ep2', null, show), item('ep1', null, show)]).next;
    const result = findNewItems(seen, [item('ep3', null, show), item('ep2', null, show), item('ep1', null, show)]);
    expect(result.newItems.map((i) => i.id)).toEqual(['ep3']);
    expect(result.next.links).not.toContain(show);
  });

  it("nor does the feed's own site URL, even on a feed of one item", () => {
    const site = 'https://podcast.example/';
    const seen = findNewItems(undefined, [item('ep1', null, site)], site).next;
    expect(findNewItems(seen, [item('ep2', null, 'http://www.podcast.example'), item('ep1', null, site)], site).newItems.map((i) => i.id)).toEqual(['ep2']);
    // A show link stored by an older Herald in the seen-set does not hide new episodes either.
    const old = { ids: ['ep1'], links: ['https://podcast.example/show'] };
    const shared = [item('ep2', null, 'https://podcast.example/show'), item('ep1', null, 'https://podcast.example/show')];
    expect(findNewItems(old, shared).newItems.map((i) => i.id)).toEqual(['ep2']);
  });

  it('identifyingLinks: unique within the feed and not the site', () => {
    const items = [item('a'), item('b', null, 'https://news.example/x'), item('c', null, 'https://news.example/x'), item('d', null, null), item('e', null, 'https://news.example/')];
    expect([...identifyingLinks(items, 'https://NEWS.example')]).toEqual(['https://news.example/a']);
  });

  it('keeps the seen-set bounded, newest kept', () => {
    let seen = findNewItems(undefined, [item('0')]).next;
    for (let i = 1; i <= SEEN_MIN + 50; i++) seen = findNewItems(seen, [item(String(i))]).next;
    expect(seen.ids.length).toBe(SEEN_MIN);
    expect(seen.ids.at(-1)).toBe(String(SEEN_MIN + 50));
    expect(seen.ids).not.toContain('0');
  });
});
