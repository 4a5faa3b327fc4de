/**
 * A gate starting with its persisted lists, alone in a process so its memory can be measured:
 * loads the access list and the holds the way edge/daemon.ts does (AccessList, SiteHolds from the
 * data folder) and prints one JSON line: load time and the resident memory and V8 heap before and
 * after (both after a full GC), and how each list loaded (`trusted`: its integrity stamp matched;
 * `validated`: every entry validated). Run by bench/lists.ts with --expose-gc and the edge's node flags.
 *
 *   node --expose-gc --import tsx bench/support/list-load.ts DATA_DIR
 */
import { join } from 'node:path';
import { AccessList } from '../../edge/core/access-list.ts';
import { SiteHolds } from '../../edge/core/holds.ts';

const dir = process.argv[2] as string;
const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external + m.arrayBuffers };
};
const before = mem();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const accessList = new AccessList(join(dir, 'access-list.json'));
accessList.load();
const tAccess = performance.now() - t0;
const cpuAccess = process.cpuUsage(cpu0);
const afterAccess = mem();
const cpu1 = process.cpuUsage();
const t1 = performance.now();
const holds = new SiteHolds(join(dir, 'holds.json'), join(dir, 'holds-local.json'), 3600_000);
holds.load();
const loadMs = tAccess + (performance.now() - t1);
// CPU time as well: on a shared, busy machine the wall-clock time is mostly waiting for a core.
const cpuHolds = process.cpuUsage(cpu1);
// A lookup each, so nothing is optimised away and the maps are really held.
const probe = accessList.admitted('E10000', Date.now()) && holds.holdFor('E10000', Date.now()) !== undefined;
const after = mem();
process.stdout.write(
  `${JSON.stringify({
    loadMs,
    /** User + system CPU of loading both lists (the process's, so its GC threads too). */
    loadCpuMs: (cpuAccess.user + cpuAccess.system + cpuHolds.user + cpuHolds.system) / 1000,
    accessListMs: tAccess,
    accessEntries: accessList.size,
    holdEntries: holds.size,
    probe,
    accessRssDeltaMB: (afterAccess.rss - before.rss) / 1e6,
    accessHeapDeltaMB: (afterAccess.heap - before.heap) / 1e6,
    rssDeltaMB: (after.rss - before.rss) / 1e6,
    heapDeltaMB: (after.heap - before.heap) / 1e6,
    rssAfterMB: after.rss / 1e6,
    copies: [accessList.lastLoad.copy, holds.lastLoad.copy],
  })}\n`,
);
