/** `access-list import|show`: HR's CSV into the hub's access list file. */
import { readFileSync } from 'node:fs';
import { AccessListStore } from '../access-list/store.ts';
import { accessListPath } from '../config/load.ts';
import type { HubConfig } from '../config/schema.ts';
import { HubError, HubErrorCode } from '../errors.ts';

export function accessListCommand(
  sub: string | undefined,
  cfg: HubConfig,
  a: { csv?: string | undefined },
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): void {
  const store = new AccessListStore(accessListPath(cfg));
  if (sub === 'show') {
    const s = store.read();
    out.write(
      s
        ? `${JSON.stringify({ version: s.version, issuedAt: new Date(s.issuedAt).toISOString(), entries: s.entries.length })}\n`
        : 'no access list yet\n',
    );
    return;
  }
  if (sub !== 'import')
    throw new HubError(
      HubErrorCode.BAD_ARGS,
      `unknown access-list command ${JSON.stringify(sub ?? '')}: import or show`,
    );
  if (!a.csv) throw new HubError(HubErrorCode.BAD_ARGS, '--csv FILE is required');
  let bytes: Buffer;
  try {
    bytes = readFileSync(a.csv);
  } catch (e) {
    throw new HubError(
      HubErrorCode.BAD_ARGS,
      `cannot read ${a.csv}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  const r = store.importCsv(bytes, { timeZone: cfg.timezone });
  if (r.unchanged) err.write(`${a.csv}: same as version ${r.version}; nothing to do\n`);
  else
    err.write(
      `${a.csv}: version ${r.version} (${r.entries} people; ${r.upserts} added or changed, ${r.removals} removed); a running hub publishes it within ${cfg.watchIntervalMs} ms\n`,
    );
  out.write(
    `${JSON.stringify({ version: r.version, previousVersion: r.previousVersion, entries: r.entries, upserts: r.upserts, removals: r.removals, unchanged: r.unchanged })}\n`,
  );
}
