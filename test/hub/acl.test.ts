/** The ACL table and topic-filter arithmetic, without a broker. */
import { describe, expect, it } from 'vitest';
import { canPublish, canReceive, canSubscribe, clientIdAllowed, rulesFor } from '../../hub/auth/acl.ts';
import { filterCovers, topicMatches } from '../../hub/auth/topic-filter.ts';
import { SubscriptionIndex } from '../../hub/broker/subscription-index.ts';
import { DashboardTopic } from '../../protocols/topics.ts';

describe('topic filters', () => {
  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
  ])('%s matches %s: %s', (f, t, want) => expect(topicMatches(f, t)).toBe(want));

  it.each([
    ['tg/s/#', 'tg/s/gate/+/status', true],
    ['tg/s/#', 'tg/s/#', true],
    ['tg/s/#', 'tg/#', false],
    ['tg/s/gate/+/command', 'tg/s/gate/g1/command', true],
    ['tg/s/gate/g1/command', 'tg/s/gate/+/command', false],
    ['face/+/status', 'face/#', false],
    ['face/+/status', 'face/T1/status', true],
    ['#', '$SYS/#', false],
  ])('%s covers %s: %s', (a, r, want) => expect(filterCovers(a, r)).toBe(want));

  it('the subscription index finds exactly the matching subscriptions', () => {
    const ix = new SubscriptionIndex();
    ix.add({ clientId: 'a', topic: 'x/+/z', qos: 1 });
    ix.add({ clientId: 'b', topic: 'x/#', qos: 1 });
    ix.add({ clientId: 'c', topic: 'x/y/z', qos: 1 });
    ix.add({ clientId: 'd', topic: '#', qos: 1 });
    expect(
      ix
        .match('x/y/z')
        .map((s) => s.clientId)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(
      ix
        .match('x')
        .map((s) => s.clientId)
        .sort(),
    ).toEqual(['b', 'd']);
    expect(ix.match('$SYS/x').map((s) => s.clientId)).toEqual([]);
    ix.remove('a', 'x/+/z');
    ix.remove('c', 'x/y/z');
    expect(
      ix
        .match('x/y/z')
        .map((s) => s.clientId)
        .sort(),
    ).toEqual(['b', 'd']);
    expect(ix.size).toBe(2);
  });
});

describe('rules by role', () => {
  const gate = rulesFor({ id: 'g1', role: 'gate', site: 's', gate: 'g1', terminal: 'T1' });
  const terminal = rulesFor({ id: 'T1', role: 'terminal' });
  const dash = rulesFor({ id: 'd', role: 'dashboard', site: 's' });

  it('a gate publishes under its own gate and to its own terminal only', () => {
    expect(canPublish(gate, 'tg/s/gate/g1/decision')).toBe(true);
    expect(canPublish(gate, 'tg/s/gate/g1/status')).toBe(true);
    expect(canPublish(gate, 'face/T1/verdict')).toBe(true);
    expect(canPublish(gate, 'face/T1/ack')).toBe(true);
    // It speaks for its own terminal's status (an ISAPI terminal has no MQTT), never another's.
    expect(canPublish(gate, 'face/T1/status')).toBe(true);
    expect(canPublish(gate, 'face/T2/status')).toBe(false);
    expect(canPublish(gate, 'tg/s/gate/g2/decision')).toBe(false);
    expect(canPublish(gate, 'face/T2/verdict')).toBe(false);
    expect(canPublish(gate, 'face/T1/event')).toBe(false);
    expect(canPublish(gate, 'tg/s/access-list')).toBe(false);
    expect(canPublish(gate, 'tg/other/gate/g1/decision')).toBe(false);
  });

  it('a gate subscribes to its terminal, its commands and the access list', () => {
    for (const f of [
      'face/T1/event',
      'tg/s/gate/g1/command',
      'tg/s/gate/g1/isolation',
      'tg/s/access-list',
      'tg/s/access-list/changes',
    ])
      expect(canSubscribe(gate, f)).toBe(true);
    for (const f of [
      'face/T2/event',
      'face/+/event',
      'tg/s/gate/+/command',
      'tg/s/gate/g2/isolation',
      'tg/s/#',
      '#',
    ])
      expect(canSubscribe(gate, f)).toBe(false);
  });

  it('a terminal speaks only for itself', () => {
    expect(canPublish(terminal, 'face/T1/event')).toBe(true);
    expect(canPublish(terminal, 'face/T1/status')).toBe(true);
    expect(canPublish(terminal, 'face/T2/event')).toBe(false);
    expect(canPublish(terminal, 'face/T1/verdict')).toBe(false);
    expect(canSubscribe(terminal, 'face/T1/verdict')).toBe(true);
    expect(canSubscribe(terminal, 'face/T1/#')).toBe(false);
  });

  it('a dashboard reads its site and terminal status, and sends commands', () => {
    expect(canSubscribe(dash, 'tg/s/#')).toBe(true);
    expect(canSubscribe(dash, 'face/+/status')).toBe(true);
    expect(canSubscribe(dash, 'face/+/event')).toBe(false);
    expect(canPublish(dash, 'tg/s/gate/g1/command')).toBe(true);
    expect(canPublish(dash, 'tg/s/gate/g1/decision')).toBe(false);
    expect(canPublish(dash, 'tg/s/gate/g1/isolation')).toBe(true);
    expect(canPublish(dash, 'tg/s/dashboard/alert')).toBe(true);
    expect(canPublish(dash, 'tg/s/access-list')).toBe(false);
    expect(canPublish(dash, 'tg/other/gate/g1/isolation')).toBe(false);
    expect(canReceive(dash, 'face/T1/status')).toBe(true);
    expect(canReceive(dash, 'face/T1/event')).toBe(false);
  });

  it('the dashboard may subscribe to every filter it subscribes to, and none of them brings readings', () => {
    const filters = DashboardTopic.subscriptions('s');
    for (const f of filters) expect(canSubscribe(dash, f), f).toBe(true);
    expect(filters.some((f) => topicMatches(f, 'tg/s/gate/g1/reading'))).toBe(false);
  });

  it('client ids are bound to devices', () => {
    const g = { id: 'g1', role: 'gate' as const, site: 's', gate: 'g1', terminal: 'T1' };
    expect(clientIdAllowed(g, 'g1')).toBe(true);
    expect(clientIdAllowed(g, 'tg-edge-s-g1')).toBe(true);
    expect(clientIdAllowed(g, 'tg-edge-s-g2')).toBe(false);
    expect(clientIdAllowed({ id: 'T1', role: 'terminal' }, 'T1')).toBe(true);
    expect(clientIdAllowed({ id: 'T1', role: 'terminal' }, 'T1-x')).toBe(false);
    expect(clientIdAllowed({ id: 'd', role: 'dashboard', site: 's' }, 'd-2')).toBe(true);
    expect(clientIdAllowed({ id: 'd', role: 'dashboard', site: 's' }, 'dx')).toBe(false);
    expect(clientIdAllowed({ id: 'T1', role: 'terminal', clientIds: ['legacy-7'] }, 'legacy-7')).toBe(true);
  });
});
