// The store layer knows keys and values only: which namespaces exist and what their values mean is decided above
// the domains (src/repositories.ts), each record type beside the module that owns it.
export type { Collection, KeyvBackend, KeyvBackendOptions as StoreOptions, StoredEntry } from './keyv-store.js';
export { openKeyvBackend } from './keyv-store.js';
export { StoreConfigError, StoreUnavailableError } from './errors.js';

/** Runs sections one at a time per key: in this process (KeyedLock), or in every process on one Redis (RedisCoordination.sectionLock). */
export interface SectionLock {
  run<T>(key: string, section: () => Promise<T>): Promise<T>;
}

/** Runs read-modify-write sections one at a time per key, so concurrent events on one record don't lose updates. */
export class KeyedLock implements SectionLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(section, section);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
