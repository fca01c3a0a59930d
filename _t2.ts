import { ParsePool } from './src/feeds/parse-pool.ts';
function gen(target: number, junk = false) {
  const parts = ['<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>B</title>'];
  let size = 0;
  for (let i = 0; size < target; i++) { const it = `<item><title>Story ${i} &amp; more</title><link>https://n.example/${i}</link><guid>g${i}</guid><description><![CDATA[<p>${'Lorem ipsum dolor sit amet. '.repeat(20)}</p>]]></description></item>`; parts.push(it); size += it.length; }
  parts.push('</channel></rss>');
  return Buffer.from(parts.join(''));
}
const body = gen(5 * 1024 * 1024);
const many = Buffer.from('<rss version="2.0"><channel><title>c</title>' + '<item><title>a&b</title></item>'.repeat(160_000) + '</channel></rss>');
const amp = Buffer.from('<rss version="2.0"><channel><title>c</title><item><title>x</title><description>' + '&'.repeat(5*1024*1024) + '</description></item></channel></rss>');
for (const mb of [64, 128, 256]) {
  const pool = new ParsePool({ threads: 1, maxHeapMb: mb, timeLimitMs: 60_000 });
  for (const [name, b] of [['5MB', body], ['many', many], ['amp', amp]] as const) {
    const t = performance.now();
    const r = await pool.parse(b, {});
    console.log(mb, name, Math.round(performance.now() - t), r.ok ? r.feed.items.length : r.error.message);
  }
  await pool.close();
}
