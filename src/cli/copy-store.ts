// `herald copy-store --from <STORE_URL> --to <STORE_URL>`: copies every namespace Herald keeps (feeds, follows,
// subscriptions, seen-sets, recent items, alerts with their votes, posted claims, the outbox, meta) from one store
// to another, keys and expiries as they are, then checks the counts.
import { STORE_NAMESPACES } from '../repositories.js';
import { openKeyvBackend, type KeyvBackend, type StoreOptions } from '../store/store.js';
import { StoreConfigError, StoreUnavailableError } from '../store/store.js';

export const COPY_STORE_USAGE = `Usage: npm run herald -- copy-store --from <STORE_URL> --to <STORE_URL> [--force]
  Copies everything Herald stores between SQLite, Redis and Postgres (stop Herald first), then checks each
  namespace's count. A target that already holds Herald data is refused; --force empties it first.`;

export interface CopyStoreOptions {
  from: string;
  to: string;
  force?: boolean;
  /** Store options per side (tests: key prefixes, so runs sharing a server stay apart). */
  fromOptions?: StoreOptions;
  toOptions?: StoreOptions;
  /** Where progress goes; a TTY gets a redrawn bar, anything else a line per namespace. */
  progress?: ProgressOutput;
}

export interface ProgressOutput {
  isTTY: boolean;
  write(text: string): void;
}

export interface NamespaceCount {
  namespace: string;
  source: number;
  copied: number;
  target: number;
}

/** Counts the distinct live keys of a namespace (Redis's SCAN may list a key twice). */
async function countKeys(backend: KeyvBackend, namespace: string): Promise<number> {
  const keys = new Set<string>();
  for await (const entry of backend.dump(namespace)) keys.add(entry.key);
  return keys.size;
}

const BAR_WIDTH = 30;
/** Writes to the target at once. */
const WRITES_IN_FLIGHT = 32;

/** `[#########.....]  62%  1240/2000  seen`: one redrawn line on a terminal. */
export function progressBar(done: number, total: number, label: string): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(share * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${done}/${total}  ${label}`;
}

/** Runs copy-store; returns the exit code (0 copied and counts match, 1 otherwise). Messages go through `write`. */
export async function runCopyStore(options: CopyStoreOptions, write: (line: string) => void): Promise<number> {
  if (sameStore(options.from, options.to) && (options.fromOptions?.prefix ?? '') === (options.toOptions?.prefix ?? '')) {
    write('error: --from and --to name the same store; give two different STORE_URLs.');
    return 1;
  }
  let source: KeyvBackend | undefined;
  let target: KeyvBackend | undefined;
  try {
    source = await openKeyvBackend(options.from, STORE_NAMESPACES, options.fromOptions);
    target = await openKeyvBackend(options.to, STORE_NAMESPACES, options.toOptions);
    return await copy(source, target, options, write);
  } catch (error) {
    if (error instanceof StoreUnavailableError || error instanceof StoreConfigError) {
      write(`error: ${error.message.replace(/STORE_URL=/g, '')}`);
      return 1;
    }
    throw error;
  } finally {
    await Promise.allSettled([source?.close(), target?.close()]);
  }
}

function sameStore(a: string, b: string): boolean {
  return a.trim().replace(/\/+$/, '') === b.trim().replace(/\/+$/, '');
}

async function copy(source: KeyvBackend, target: KeyvBackend, options: CopyStoreOptions, write: (line: string) => void): Promise<number> {
  const progress = options.progress ?? { isTTY: false, write: () => undefined };

  const occupied: string[] = [];
  for (const namespace of STORE_NAMESPACES) {
    for await (const _ of target.dump(namespace)) {
      occupied.push(namespace);
      break;
    }
  }
  if (occupied.length && !options.force) {
    write(`error: ${target.describe} already holds Herald data (${occupied.join(', ')}); nothing was copied. Pick an empty store, or add --force to empty it first.`);
    return 1;
  }
  for (const namespace of occupied) await target.clear(namespace);
  if (occupied.length) write(`emptied ${occupied.join(', ')} in ${target.describe} (--force)`);

  const sourceCounts = new Map<string, number>();
  for (const namespace of STORE_NAMESPACES) sourceCounts.set(namespace, await countKeys(source, namespace));
  const total = [...sourceCounts.values()].reduce((a, b) => a + b, 0);
  write(`copying ${total} entries from ${source.describe} to ${target.describe}`);

  let done = 0;
  let lastDraw = 0;
  const copied = new Map<string, number>();
  for (const namespace of STORE_NAMESPACES) {
    const keys = new Set<string>();
    // a few writes in flight: a network store answers each after a round trip
    const inFlight = new Set<Promise<void>>();
    for await (const entry of source.dump(namespace)) {
      if (keys.has(entry.key)) continue;
      keys.add(entry.key);
      const write = target.load(namespace, entry).then((stored) => {
        if (!stored) keys.delete(entry.key); // expired since it was listed
        else done++;
        if (progress.isTTY && (done - lastDraw >= 50 || done === total)) {
          lastDraw = done;
          progress.write(`\r${progressBar(done, total, namespace)}`);
        }
      });
      const tracked = write.finally(() => inFlight.delete(tracked));
      void tracked.catch(() => undefined); // reported by the race or the final wait, never as an unhandled rejection
      inFlight.add(tracked);
      if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    copied.set(namespace, keys.size);
    if (progress.isTTY) progress.write(`\r${progressBar(done, total, namespace)}`);
    else progress.write(`${namespace}: ${keys.size} copied (${done}/${total})\n`);
  }
  if (progress.isTTY) progress.write('\n');

  const counts: NamespaceCount[] = [];
  for (const namespace of STORE_NAMESPACES) {
    counts.push({ namespace, source: sourceCounts.get(namespace) ?? 0, copied: copied.get(namespace) ?? 0, target: await countKeys(target, namespace) });
  }
  const mismatched = counts.filter((c) => c.target !== c.copied);
  for (const c of counts) write(`${c.target === c.copied ? '✔' : '✘'} ${c.namespace.padEnd(12)} source ${c.source}, copied ${c.copied}, target ${c.target}`);
  if (mismatched.length) {
    write(`✘ the target's counts differ in ${mismatched.map((c) => c.namespace).join(', ')}: was Herald running on either store? Stop it and run copy-store again with --force.`);
    return 1;
  }
  const expiredMeanwhile = counts.reduce((n, c) => n + Math.max(0, c.source - c.copied), 0);
  write(
    `✔ copied ${done} entries${expiredMeanwhile ? ` (${expiredMeanwhile} expired during the copy)` : ''}. Point STORE_URL at ${target.describe} and start Herald.`,
  );
  return 0;
}
