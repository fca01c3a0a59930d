// herald backup: a consistent snapshot of a SQLite store in WAL mode while another connection keeps writing (as a
// running Herald does); refuses to overwrite a file and explains what to do for Redis and Postgres.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/cli/backup.js';
import { openStore } from '../../src/repositories.js';
import { tempDir } from '../store/backends.js';
import { until } from '../harness/until.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function backup(storeUrl: string, file: string) {
  const lines: string[] = [];
  const code = await runBackup({ storeUrl, file }, (l) => lines.push(l));
  return { code, text: lines.join('\n') };
}

describe('herald backup', () => {
  it('snapshots a store that is being written, with everything written before it started', async () => {
    const url = `sqlite://${join(tmp.dir, 'live.sqlite')}`;
    const store = await openStore(url);
    for (let i = 0; i < 200; i++) await store.seen.set(`https://feed-${i}.example/rss`, { ids: [String(i)], links: [] });
    // a writer that keeps going during the backup, like Herald's poller and dispatcher
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await store.alerts.set(`m${written++}`, { messageId: `m${written}` } as never);
    })();
    await until(() => written > 20, 'the writer to be under way');
    const file = join(tmp.dir, 'snapshot.sqlite');
    const result = await backup(url, file);
    writing = false;
    await writer;
    await store.close();

    expect(result.code).toBe(0);
    expect(result.text).toMatch(new RegExp(`^wrote .*snapshot\\.sqlite: \\d+ entries, \\d+ bytes, a consistent snapshot`));
    const entries = Number(/: (\d+) entries/.exec(result.text)![1]);
    expect(entries).toBeGreaterThanOrEqual(220);

    // the snapshot is a store Herald opens on its own (no -wal beside it), with every seen-set written before
    const copy = await openStore(`sqlite://${file}`);
    try {
      for (let i = 0; i < 200; i++) expect(await copy.seen.get(`https://feed-${i}.example/rss`)).toEqual({ ids: [String(i)], links: [] });
      let alerts = 0;
      for await (const _ of copy.alerts.entries()) alerts++;
      expect(alerts).toBeGreaterThan(20);
      expect(alerts + 200).toBe(entries);
    } finally {
      await copy.close();
    }
  });

  it('refuses to overwrite a file, and to back up a store that is not SQLite', async () => {
    const url = `sqlite://${join(tmp.dir, 'small.sqlite')}`;
    const store = await openStore(url);
    await store.meta.set('k', 'v');
    await store.close();
    const taken = join(tmp.dir, 'taken.sqlite');
    writeFileSync(taken, 'an older backup');
    const refused = await backup(url, taken);
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/taken\.sqlite already exists; nothing was written/);

    const redis = await backup('redis://127.0.0.1:6379', join(tmp.dir, 'r.sqlite'));
    expect(redis.code).toBe(1);
    expect(redis.text).toMatch(/copy-store --from <STORE_URL> --to sqlite:\/\//);
    expect(existsSync(join(tmp.dir, 'r.sqlite'))).toBe(false);

    const missing = await backup(`sqlite://${join(tmp.dir, 'nope.sqlite')}`, join(tmp.dir, 'n.sqlite'));
    expect(missing.text).toMatch(/there is no store at .*nope\.sqlite/);
  });
});
