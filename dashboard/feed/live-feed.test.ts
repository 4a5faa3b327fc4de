/**
 * The live feed writes each client's frames once per turn, joined and in order (live-feed.ts:
 * a write per event per client was a syscall each at 1,000 gates), and a stop writes what waits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open.ts';
import { LiveFeed } from './live-feed.ts';
import { FeedStore } from './store.ts';

/** The HTTP response as the feed uses it: what was written, one entry per write call. */
function fakeResponse() {
  const writes: string[] = [];
  const res = {
    destroyed: false,
    writableEnded: false,
    writableLength: 0,
    writeHead: () => res,
    write: (text: string) => writes.push(text) > 0,
    end: () => {
      res.writableEnded = true;
    },
    on: () => res,
    destroy: () => {
      res.destroyed = true;
    },
  };
  return { res, writes };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('LiveFeed', () => {
  let feed: LiveFeed | undefined;
  afterEach(() => feed?.close());

  function attached() {
    const db = openDatabase(mkdtempSync(join(tmpdir(), 'tg-live-feed-')));
    feed = new LiveFeed(new FeedStore(db, 1000), { heartbeatMs: 3_600_000 });
    const { res, writes } = fakeResponse();
    feed.attach({} as FastifyRequest, { hijack: () => {}, raw: res } as unknown as FastifyReply, undefined);
    expect(writes).toHaveLength(1); // the hello, at once
    writes.length = 0;
    return { feed, writes };
  }

  it('one write per client per turn, every frame of the turn in order, ids as given', async () => {
    const { feed, writes } = attached();
    const ids = Array.from({ length: 50 }, (_, i) => feed.publish('decision', { n: i }).id);
    feed.broadcast('fleet', { gates: [] });
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toHaveLength(1);
    const frames = (writes[0] as string).split('\n\n').filter(Boolean);
    expect(frames).toHaveLength(51);
    expect(frames.slice(0, 50)).toEqual(ids.map((id, n) => `id: ${id}\nevent: decision\ndata: {"n":${n}}`));
    expect(frames[50]).toBe('event: fleet\ndata: {"gates":[]}');
    feed.publish('alert', { a: 1 });
    await turn();
    expect(writes).toHaveLength(2);
  });

  it('a stop writes the frames still waiting before it ends the stream', () => {
    const { feed, writes } = attached();
    feed.publish('decision', { n: 1 });
    feed.close();
    expect(writes.join('')).toContain('data: {"n":1}');
  });
});
