// Who runs on one Redis. Gateways and workers share their work through it; a HERALD_ROLE=all process does everything
// on its own, so one beside them (or a second one) would poll and send again what they do. Each process keeps an
// entry fresh while it runs; a new one compares its role with the live entries and refuses to start on a clash.
import { hostname } from 'node:os';
import { alive } from './process-lock.js';

export type ProcessRole = 'all' | 'gateway' | 'worker';

export interface RosterEntry {
  role: ProcessRole;
  host: string;
  pid: number;
  /** When it last said it was running (ms). */
  at: number;
}

/** An entry is live while it was renewed within this (renewed every ROSTER_RENEW_MS). */
export const ROSTER_FRESH_MS = 8_000;
export const ROSTER_RENEW_MS = 2_000;

/**
 * What stops `role` from starting beside `others`, said for the operator; null when nothing does. Entries of this
 * process (several apps in one test process) and of dead processes on this host (a restart after a crash) don't count.
 */
export function rosterConflict(role: ProcessRole, others: RosterEntry[], where: string, host = hostname(), isAlive: (pid: number) => boolean = alive): string | null {
  const live = others.filter((o) => !(o.host === host && (o.pid === process.pid || !isAlive(o.pid))));
  const name = (o: RosterEntry) => `pid ${o.pid}${o.host !== host ? ` on ${o.host}` : ''}`;
  const all = live.filter((o) => o.role === 'all');
  const scaled = live.filter((o) => o.role !== 'all');
  if (role === 'all' && scaled.length > 0) {
    const list = scaled.slice(0, 3).map((o) => `${o.role} ${name(o)}`).join(', ');
    return `Gateways or workers already run on ${where} (${list}${scaled.length > 3 ? ', …' : ''}). A Herald with HERALD_ROLE=all beside them would poll and send on its own: set HERALD_ROLE=gateway or worker here too, or stop them first.`;
  }
  if (all.length > 0) {
    const other = all[0]!;
    return role === 'all'
      ? `Another Herald (HERALD_ROLE=all, ${name(other)}) already runs on ${where}. Two would each poll and send everything: stop one, or run gateways and workers (see "Scaling out" in the README). A second bot on the same Redis needs its own STORE_PREFIX.`
      : `A Herald with HERALD_ROLE=all (${name(other)}) runs on ${where}, and it does not share its work with gateways and workers: stop it, and start it again with HERALD_ROLE=gateway or worker.`;
  }
  return null;
}
