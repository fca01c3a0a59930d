import { describe, expect, it } from 'vitest';
import { furnitureIn, furnitureKind, leadText, stripLeadingFurniture } from '../../../src/feeds/article/furniture.js';
import { articleBlocks, extractArticle } from '../../../src/feeds/article/extract.js';
import { parseHTML } from 'linkedom';

const STORY = 'The storm knocked out power to 40,000 homes across the county on Tuesday night.';

describe('page furniture in front of the story', () => {
  it('strips the furniture real pages put before the first sentence', () => {
    expect(stripLeadingFurniture(`1:39 PM ET ${STORY}`)).toBe(STORY);
    expect(stripLeadingFurniture(`Updated 12:01 GMT ${STORY}`)).toBe(STORY);
    expect(stripLeadingFurniture(`Highlights Photo Photo ${STORY}`)).toBe(STORY);
    expect(stripLeadingFurniture('BY TMZ STAFF EXCLUSIVE Kanye West is back in the studio, and he is not alone.')).toBe('Kanye West is back in the studio, and he is not alone.');
    expect(stripLeadingFurniture(`Feb. 23, 2015 -- ${STORY}`)).toBe(STORY);
    expect(stripLeadingFurniture(`Published 22 Dec, 2016 ${STORY}`)).toBe(STORY);
    expect(stripLeadingFurniture(`EXCLUSIVE: ${STORY}`)).toBe(STORY);
    expect(stripLeadingFurniture(`Analysis — ${STORY}`)).toBe(STORY);
  });

  it('keeps the story when its first words only look like furniture', () => {
    for (const lead of [
      'Photos of the crash show the driver was not wearing a seat belt.',
      'Live music returns to the park this summer after a two-year break.',
      'By the end of the week, the river had risen another two metres.',
      'Updated figures show unemployment fell to 4 per cent in March.',
      'CAIRO — Gunmen opened fire on visitors at the museum on Wednesday.',
      'May 5 marks the anniversary of the first flight across the channel.',
      '12.50 euros is what a ticket now costs, up from nine last year.',
      'News Corp reported higher profits in its book publishing arm.',
      'Live Nation cancelled the rest of the tour on Friday.',
      'Exclusive talks between the two companies ended without a deal.',
      'By the staff of the hospital, patients were told to stay home.',
    ]) expect(stripLeadingFurniture(lead)).toBe(lead);
  });

  it('classifies whole furniture blocks', () => {
    expect(furnitureKind('1:39 PM ET')).toBe('timestamp');
    expect(furnitureKind('Updated 12:01 GMT')).toBe('timestamp');
    expect(furnitureKind('22 Dec, 2016 22 Dec, 2016')).toBe('timestamp');
    expect(furnitureKind('By Jane Doe')).toBe('byline');
    expect(furnitureKind('By Jane Doe, Senior Correspondent')).toBe('byline');
    expect(furnitureKind('By the end of the week, the river had risen another two metres.')).toBeNull();
    expect(furnitureKind('BY TMZ STAFF')).toBe('byline');
    expect(furnitureKind('EXCLUSIVE')).toBe('label');
    expect(furnitureKind('JIM WATSON/AFP/Getty Images')).toBe('credit');
    expect(furnitureKind('(Bild: Hersteller)')).toBe('credit');
    expect(furnitureKind('SIGN UP FOR OUR NEWSLETTER')).toBe('chrome');
    expect(furnitureKind('Share on Facebook Twitter Email')).toBe('chrome');
    expect(furnitureKind('We use cookies to improve your experience. Accept all')).toBe('chrome');
    expect(furnitureKind('Watch LiveBritish Broadcasting CorporationHomeNewsSportWeatheriPlayerSoundsBitesize')).toBe('navigation');
    expect(furnitureKind(STORY)).toBeNull();
    expect(furnitureKind('Snopes writer David Emery posted to Twitter asking whether there were any calm supporters left.')).toBeNull();
  });

  it('finds furniture inside a finished sentence (the checks the corpus test also makes)', () => {
    expect(furnitureIn(`1:39 PM ET ${STORY}`)).toBe('timestamp');
    expect(furnitureIn(`Highlights Photo Photo ${STORY}`)).toBe('credit');
    expect(furnitureIn('Watch LiveBritish Broadcasting CorporationHomeNewsSport The president spoke.')).toBe('navigation');
    expect(furnitureIn(STORY)).toBeNull();
  });

  it('the lead: furniture blocks skipped, headings and standfirsts without a stop skipped, prose joined up to the length', () => {
    const blocks = [
      { text: 'Watch LiveBritish Broadcasting CorporationHomeNewsSportWeather' },
      { text: 'Obama admits US gun laws are his biggest frustration', heading: true },
      { text: '24 July 2015' },
      { text: 'By Jon Sopel' },
      { text: 'The president says failing to pass gun laws is his greatest frustration' },
      { text: `Highlights Photo Photo ${STORY}` },
      { text: 'Photo: Getty Images' },
      { text: 'Officials said crews would work through the night to restore it.' },
      { text: 'A third paragraph that the length leaves out because it is already long enough to fill the summary.' },
    ];
    expect(leadText(blocks, 120)).toBe(`${STORY} Officials said crews would work through the night to restore it.`);
    expect(leadText([{ text: 'Menu' }, { text: 'Home' }], 400)).toBe('');
  });
});

describe('hostile text', () => {
  it('runs of stamps, names and separators finish (each pattern has one parse; a backtracking one would hang here)', () => {
    for (const text of ['12:34 '.repeat(60) + 'x', 'May 5, '.repeat(60) + 'x', '22 Dec, 2016 '.repeat(40) + '!', 'By Aa '.repeat(100), 'By ' + 'ABCDEFGH'.repeat(40), ', '.repeat(2000) + 'x']) {
      expect(typeof furnitureKind(text)).not.toBe('undefined');
      expect(stripLeadingFurniture(text).length).toBeLessThanOrEqual(text.length);
      expect(typeof leadText(Array.from({ length: 20 }, () => ({ text })), 400)).toBe('string');
    }
  });
});

describe('extractArticle on a page with navigation around the story', () => {
  const page = `<!doctype html><html><head><title>Storm</title>
    <meta property="og:image" content="/images/storm.jpg"><meta name="twitter:image" content="https://cdn.example/t.jpg"></head>
    <body><header><nav><a href="/">Home</a><a href="/news">News</a><a href="/sport">Sport</a></nav></header>
    <div class="cookie-banner">We use cookies. <button>Accept all</button></div>
    <article><h1>Storm cuts power</h1><p class="byline">By Jane Doe</p><time>1:39 PM ET</time>
      <figure><img src="/a.jpg"><figcaption>Photo: AP</figcaption></figure>
      <p>${STORY} Crews from three states were called in.</p>
      <p>Officials said crews would work through the night to <a href="/r">restore</a> it, and schools would stay closed.</p>
      <p>Residents were told to stay away from fallen lines and to report outages online rather than by phone.</p>
    </article><footer>Share this on Facebook Twitter Email</footer></body></html>`;

  it('takes the lead sentences and the og:image, made absolute', () => {
    const out = extractArticle(page, 'https://news.example/2024/storm', { maxChars: 400 });
    expect(out.text.startsWith(STORY)).toBe(true);
    expect(out.text).toContain('to restore it, and schools'); // an inline link stays in place
    expect(out.text).not.toMatch(/Jane Doe|1:39|Photo|cookies|Share/);
    expect(out.image).toBe('https://news.example/images/storm.jpg');
  });

  it('falls back to twitter:image and refuses non-http images', () => {
    const twitter = extractArticle(page.replace(/<meta property="og:image"[^>]*>/, ''), 'https://news.example/s', { maxChars: 400 });
    expect(twitter.image).toBe('https://cdn.example/t.jpg');
    const js = extractArticle(page.replace('/images/storm.jpg', 'javascript:alert(1)').replace(/<meta name="twitter:image"[^>]*>/, ''), 'https://news.example/s', { maxChars: 400 });
    expect(js.image).toBeNull();
  });

  it('never throws on junk, and a page without a story gives no text', () => {
    expect(extractArticle('', 'https://x.example/', { maxChars: 400 }).text).toBe('');
    expect(extractArticle('<html><body><nav>Home News Sport</nav></body></html>', 'https://x.example/', { maxChars: 400 }).text).toBe('');
    const deep = `${'<div>'.repeat(1000)}text${'</div>'.repeat(1000)}`;
    expect(() => extractArticle(deep, 'https://x.example/', { maxChars: 400 })).not.toThrow();
  });

  it('articleBlocks keeps reading order and splits blocks', () => {
    const { document } = parseHTML('<div><p>One <b>two</b> three.</p><p>Four<br>five.</p></div>');
    expect(articleBlocks(document as never).map((b) => b.text)).toEqual(['One two three.', 'Four', 'five.']);
  });
});
