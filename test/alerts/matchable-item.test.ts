// Alerts match and summarise on the text the parser computed (FeedItem.summaryText), not on a second parse of the HTML.
import { describe, expect, it } from 'vitest';
import { matchableItem } from '../../src/alerts/matchable-item.js';
import type { FeedItem } from '../../src/feeds/types.js';

const base: FeedItem = { id: '1', link: 'https://example.com/1', title: 'Title', summaryHtml: '<p>From <b>HTML</b></p>', author: null, categories: [], image: null, published: null };
const feed = { title: 'Example', siteUrl: 'https://example.com/' };

describe('matchableItem', () => {
  it('uses the summary text computed at parse time', () => {
    const m = matchableItem({ ...base, summaryText: 'computed by the parser' }, feed);
    expect(m.summary).toBe('computed by the parser');
    expect(m.summaryText).toBe('computed by the parser');
  });

  it('computes the text for an item stored before the field existed', () => {
    expect(matchableItem(base, feed).summary).toBe('From HTML');
  });
});
