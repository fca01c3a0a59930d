// Which roles may run side by side on one Redis: gateways and workers together, any number of each; an `all` process
// alone. Entries of this process and of dead processes on this host (a restart after a crash) don't count.
import { describe, expect, it } from 'vitest';
import { rosterConflict, type RosterEntry } from '../../src/store/process-roster.js';

const HOST = 'web-1';
const WHERE = 'this Redis (STORE_URL)';
const livePids = new Set([101, 102, 103]);
const isAlive = (pid: number) => livePids.has(pid);
const entry = (role: RosterEntry['role'], pid: number, host = HOST): RosterEntry => ({ role, pid, host, at: 0 });
const conflict = (role: RosterEntry['role'], others: RosterEntry[]) => rosterConflict(role, others, WHERE, HOST, isAlive);

describe('rosterConflict', () => {
  it('lets gateways and workers run together, and a process start alone', () => {
    expect(conflict('worker', [entry('gateway', 101), entry('worker', 102), entry('worker', 7, 'web-2')])).toBeNull();
    expect(conflict('gateway', [entry('gateway', 101), entry('worker', 102)])).toBeNull();
    expect(conflict('all', [])).toBeNull();
  });

  it('refuses an all process beside gateways or workers, naming them and what to set', () => {
    const said = conflict('all', [entry('gateway', 101), entry('worker', 9, 'web-2')]);
    expect(said).toContain('Gateways or workers already run on this Redis (STORE_URL) (gateway pid 101, worker pid 9 on web-2)');
    expect(said).toContain('set HERALD_ROLE=gateway or worker here too, or stop them first');
  });

  it('refuses a second all process, and a gateway or worker beside an all process', () => {
    expect(conflict('all', [entry('all', 9, 'web-2')])).toContain('Another Herald (HERALD_ROLE=all, pid 9 on web-2) already runs on this Redis');
    expect(conflict('worker', [entry('all', 101)])).toContain('A Herald with HERALD_ROLE=all (pid 101) runs on this Redis');
    expect(conflict('gateway', [entry('all', 101)])).toContain('start it again with HERALD_ROLE=gateway or worker');
  });

  it('ignores a dead process on this host (a restart after a crash) and this very process', () => {
    expect(conflict('all', [entry('all', 555)])).toBeNull(); // pid 555 is gone
    expect(conflict('all', [entry('worker', process.pid)])).toBeNull();
    // a process on another host cannot be checked: it counts until its entry goes stale
    expect(conflict('all', [entry('all', 555, 'web-2')])).not.toBeNull();
  });
});
