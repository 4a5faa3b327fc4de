import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertState } from '../../protocols/dashboard/messages.ts';
import {
  condition,
  fever,
  gateAlert,
  guard,
  type Harness,
  openHarness,
  room,
} from '../../test/doubles/dashboard/alerts.ts';

interface Received {
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
}

/** A local webhook receiver: records every request, answers from a script (default 200 ok). */
class Receiver {
  received: Received[] = [];
  script: Array<{ status: number; body: string }> = [];
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        data += c;
      });
      req.on('end', () => {
        const u = new URL(req.url ?? '/', 'http://x');
        this.received.push({
          path: u.pathname,
          query: u.searchParams,
          contentType: req.headers['content-type'],
          body: JSON.parse(data),
        });
        const next = this.script.shift() ?? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
        res.writeHead(next.status, { 'content-type': 'application/json' }).end(next.body);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const SECRET = 'SEC0123456789abcdef';

/** Raised-fever notifications (随时报) as opposed to escalations: the generic body says which. */
const reasonOf = (r: Received): string =>
  (r.body as { reason?: string }).reason ??
  ((r.body as { text?: { content?: string } }).text?.content?.startsWith('[Abnormal temperature]')
    ? 'raised'
    : 'escalation');
const escalations = (rs: Received[]) => rs.filter((r) => reasonOf(r) !== 'raised');

describe('escalation webhooks (local HTTP receiver)', () => {
  const rx = new Receiver();
  let dir: string;
  let h: Harness;
  beforeAll(() => rx.start());
  afterAll(() => rx.stop());
  beforeEach(() => {
    rx.received = [];
    rx.script = [];
    dir = mkdtempSync(join(tmpdir(), 'tg-escalation-'));
    writeFileSync(join(dir, 'dingtalk.secret'), `${SECRET}\n`);
  });
  afterEach(() => {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () =>
    openHarness({
      language: 'en',
      rooms: [room('R1'), room('R2')],
      escalateAfterMs: 60_000,
      webhookRetry: { attempts: 3, baseDelayMs: 1000, timeoutMs: 3000 },
      webhooks: [
        { kind: 'generic', url: `${rx.base}/generic` },
        {
          kind: 'dingtalk',
          url: `${rx.base}/robot/send?access_token=tok123`,
          secretFile: join(dir, 'dingtalk.secret'),
        },
        { kind: 'wecom', url: `${rx.base}/cgi-bin/webhook/send?key=k-456` },
      ],
    });

  it('an unacknowledged critical alert escalates once, after escalateAfterMs, to generic, DingTalk (signed) and WeCom', async () => {
    h = open();
    const f = fever(h, { employeeNo: 'E1', name: '张三', tenths: 386 });
    await h.svc.tick();
    // The fever itself went out at once to every receiver; that is no escalation.
    expect(rx.received.map(reasonOf)).toEqual(['raised', 'raised', 'raised']);
    h.clock.advance(59_999);
    await h.svc.tick();
    expect(escalations(rx.received)).toEqual([]);
    expect(h.svc.get(f.id)?.escalated).toBe(false);

    h.clock.advance(1);
    await h.svc.tick();
    expect(h.svc.get(f.id)?.escalated).toBe(true);

    const [generic] = escalations(rx.on('/generic'));
    expect(generic?.contentType).toContain('application/json');
    const g = generic?.body as { type: string; reason: string; text: string; alert: unknown };
    expect(g).toMatchObject({ type: 'thermogate.alert.escalated', reason: 'unacknowledged' });
    expect(AlertState.parse(g.alert)).toMatchObject({
      id: f.id,
      kind: 'fever',
      escalated: true,
      roomId: 'R1',
    });
    expect(g.text).toContain('张三 (E1)');
    expect(g.text).toContain('38.6 °C');
    expect(g.text).toContain('Not acknowledged within 60 s');

    const [ding] = escalations(rx.on('/robot/send'));
    expect(ding?.body).toEqual({ msgtype: 'text', text: { content: g.text } });
    expect(ding?.query.get('access_token')).toBe('tok123');
    const ts = ding?.query.get('timestamp') ?? '';
    expect(Number(ts)).toBe(h.clock.now());
    const expected = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
    expect(ding?.query.get('sign')).toBe(expected);

    const [wecom] = escalations(rx.on('/cgi-bin/webhook/send'));
    expect(wecom?.body).toEqual({ msgtype: 'text', text: { content: g.text } });
    expect(wecom?.query.get('key')).toBe('k-456');

    h.clock.advance(600_000);
    await h.svc.tick();
    expect(rx.received).toHaveLength(6);
  });

  it('no escalation when acknowledged in time; minor alerts never escalate; major conditions do', async () => {
    h = open();
    const f = fever(h);
    h.svc.onGateAlert(gateAlert('mask-missing', { id: 'mm', employeeNo: 'E3' }));
    h.svc.onGateAlert(condition('sensor-fault', true, { id: 'sf' }));
    h.clock.advance(30_000);
    h.svc.acknowledge(f.id, guard);
    h.clock.advance(60_000);
    await h.svc.tick();
    expect(h.svc.get(f.id)?.escalated).toBe(false);
    expect(h.svc.get('mm')?.escalated).toBe(false);
    expect(h.svc.get('sf')?.escalated).toBe(true);
    const ids = (rs: Received[]) => rs.map((r) => (r.body as { alert: { id: string } }).alert.id);
    expect(ids(escalations(rx.on('/generic')))).toEqual(['sf']);
    // The fever was told at once although it was acknowledged in time; the mask alert never.
    expect(ids(rx.on('/generic').filter((r) => reasonOf(r) === 'raised'))).toEqual([f.id]);
  });

  it('a receiver answering 500 is retried after a pause, then succeeds; nothing throws', async () => {
    h = open();
    rx.script = [{ status: 500, body: 'boom' }];
    h.svc.onGateAlert(condition('fire-alarm', true, { id: 'fa' }));
    h.clock.advance(60_000);
    await h.svc.tick();
    expect(rx.on('/generic')).toHaveLength(1);
    expect(h.logs.find((l) => l.m === 'escalation webhook failed, will retry')?.o).toMatchObject({
      code: 'TG_DASH_WEBHOOK_FAILED',
      url: `${rx.base}/generic`,
      attempt: 1,
    });
    await h.svc.tick();
    expect(rx.on('/generic')).toHaveLength(1);
    h.clock.advance(1000);
    await h.svc.tick();
    expect(rx.on('/generic')).toHaveLength(2);
    h.clock.advance(60_000);
    await h.svc.tick();
    expect(rx.on('/generic')).toHaveLength(2);
    expect(rx.on('/robot/send')).toHaveLength(1);
  });

  it('a robot that answers errcode ≠ 0 and an unreachable receiver are retried, then given up, logged without tokens', async () => {
    h = openHarness({
      escalateAfterMs: 60_000,
      webhookRetry: { attempts: 2, baseDelayMs: 1000, timeoutMs: 2000 },
      webhooks: [
        { kind: 'dingtalk', url: `${rx.base}/robot/send?access_token=secret-token` },
        { kind: 'generic', url: 'http://127.0.0.1:9/unreachable?token=xyz' },
      ],
    });
    rx.script = [
      { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' },
      { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' },
    ];
    h.svc.onGateAlert(condition('gate-offline', true, { id: 'site-1:gate-a:gate-offline:1' }));
    h.clock.advance(60_000);
    await expect(h.svc.tick()).resolves.toBeUndefined();
    h.clock.advance(1000);
    await expect(h.svc.tick()).resolves.toBeUndefined();
    h.clock.advance(10_000);
    await h.svc.tick();
    expect(rx.on('/robot/send')).toHaveLength(2);
    const gaveUp = h.logs.filter((l) => l.m === 'escalation webhook failed, giving up');
    expect(gaveUp.map((l) => (l.o as { kind: string }).kind).sort()).toEqual(['dingtalk', 'generic']);
    expect(JSON.stringify(h.logs)).not.toContain('secret-token');
    expect(JSON.stringify(h.logs)).not.toContain('xyz');
    expect(JSON.stringify(gaveUp)).toContain('errcode 310000');
  });

  it('a declared symptom goes on the board and out to the robots at once, in the site language, once per day', async () => {
    h = openHarness({
      language: 'zh-CN',
      webhookRetry: { attempts: 3, baseDelayMs: 1000, timeoutMs: 3000 },
      webhooks: [{ kind: 'wecom', url: `${rx.base}/cgi-bin/webhook/send?key=k-456` }],
    });
    const d = { employeeNo: 'E7', name: '王五', day: '2024-03-05', what: '咳嗽、乏力', at: 1 };
    const a = h.svc.declared(d);
    h.svc.declared(d); // the same declaration imported again
    expect(h.svc.list().filter((x) => x.kind === 'declared-symptom')).toEqual([
      expect.objectContaining({
        id: a.id,
        employeeNo: 'E7',
        severity: 'major',
        state: 'active-unacknowledged',
      }),
    ]);
    await h.svc.tick();
    const texts = rx
      .on('/cgi-bin/webhook/send')
      .map((r) => (r.body as { text: { content: string } }).text.content);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(
      /^【健康申报异常】[^；]+；人员：王五（工号 E7）；申报：咳嗽、乏力；请立即联系本人核实，必要时安排就医，暂勿到岗$/,
    );
  });
});
