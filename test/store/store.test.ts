import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyedLock, openStore } from '../../src/store/store.js';
import { StoreConfigError } from '../../src/store/keyv-store.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['memory://', `sqlite://${join(dir, 'a', 'herald.sqlite')}`])('store %s', (url) => {
  it('keeps namespaces apart and lists only its own keys', async () => {
    const store = await openStore(url);
    await store.seen.set('https://a.example/feed', { ids: ['1'], links: [] });
    await store.posted.set('https://a.example/feed', 'msg-1');
    await store.posted.set('c1|x', 'msg-2');
    expect(await store.seen.get('https://a.example/feed')).toEqual({ ids: ['1'], links: [] });
    const posted = [];
    for await (const entry of store.posted.entries()) posted.push(entry);
    expect(posted.sort()).toEqual([
      ['c1|x', 'msg-2'],
      ['https://a.example/feed', 'msg-1'],
    ]);
    expect(await store.posted.delete('c1|x')).toBe(true);
    expect(await store.posted.get('c1|x')).toBeUndefined();
    await store.close();
  });
});

it('keeps data across a reopen of the same sqlite file', async () => {
  const url = `sqlite://${join(dir, 'reopen.sqlite')}`;
  const first = await openStore(url);
  await first.posted.set('k', 'v');
  await first.close();
  const second = await openStore(url);
  expect(await second.posted.get('k')).toBe('v');
  await second.close();
});

it('names the variable when the store URL is unsupported', async () => {
  await expect(openStore('ftp://x')).rejects.toThrow(StoreConfigError);
  await expect(openStore('ftp://x')).rejects.toThrow(/STORE_URL/);
});

it('KeyedLock serialises sections per key', async () => {
  const lock = new KeyedLock();
  let value = 0;
  const bump = () =>
    lock.run('k', async () => {
      const read = value;
      await new Promise((r) => setTimeout(r, 2));
      value = read + 1;
    });
  await Promise.all([bump(), bump(), bump(), bump()]);
  expect(value).toBe(4);
});
