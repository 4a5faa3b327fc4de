/**
 * The guard's board: gate tiles, the alert queue, isolation rooms, commands, and the fever alarm
 * (flashing banner and beep loop until silenced). Fetches its state, then follows the live feed;
 * after every break in the feed it fetches again, so it heals by itself.
 */
import { alarmSounding, onSoundStateChange, setAlarmSound, soundBlocked } from '../alarm.ts';
import { ApiError, api } from '../api.ts';
import { h, mount } from '../dom.ts';
import { openFeed } from '../feed.ts';
import { fmtTempC } from '../format.ts';
import { t } from '../i18n.ts';
import { manualReadingForm } from '../manual/form.ts';
import { alarmKey, alarming, applyAlert, applyCommand, mergeFetched } from '../model.ts';
import type { Render } from '../router.ts';
import type { AlertState, CommandView, DecisionMessage, GateTile, RoomView } from '../types.ts';
import { AlertQueue, errorText, gatePlace } from './alerts.ts';
import { asGateTiles, fromDecision, fromFleet } from './gates-model.ts';
import { renderCommands, renderRooms } from './rooms.ts';
import {
  activeByPerson,
  fromFeed,
  type HoldsAnswer,
  type PersonHold,
  roomText,
  stageText,
} from '../holds-model.ts';
import { GateTiles } from './tiles.ts';
import { visitorPanel } from './visitors.ts';

export const renderBoard: Render = (root, ctx) => {
  const tz = ctx.me.site.timezone;
  let alerts: AlertState[] = [];
  let gates: GateTile[] = [];
  let rooms: RoomView[] = [];
  let commands: CommandView[] = [];
  let holds = new Map<string, PersonHold>();
  const silenced = new Set<string>();
  /** Feed changes that arrived while the alert list was being fetched (null: no fetch in flight). */
  let arrivedMeanwhile: AlertState[] | null = null;
  let closed = false;

  const roomName = (id: string | null) => (id ? (rooms.find((r) => r.id === id)?.name ?? null) : null);
  const banner = h('div', {
    class: 'alarm-banner',
    'data-testid': 'alarm-banner',
    role: 'alert',
    hidden: true,
  });
  const queue = new AlertQueue(
    ctx,
    roomName,
    (a) => onAlert(a),
    (no) => holds.get(no),
    (a) => ({
      clockOffsetMs: gates.find((g) => g.gateId === a.gateId)?.terminalClockOffsetMs ?? null,
      roomsConfigured: rooms.length > 0,
    }),
  );
  const holdsEl = h('section', { class: 'panel holds-panel', 'data-testid': 'board-holds' });
  const tiles = new GateTiles(ctx, (c) => onCommand(c));
  const roomsEl = h('section', { class: 'panel rooms-panel' });
  const commandsEl = h('section', { class: 'panel commands-panel' });
  // Folded by default: the alerts own the guard's attention; a hand measurement is the odd task.
  const manual = manualReadingForm(ctx, { linkToLog: false });
  const manualEl = h(
    'details',
    { class: 'panel manual-panel', 'data-testid': 'manual-panel' },
    h('summary', null, t('manual.title')),
    manual.el,
  );

  mount(
    root,
    banner,
    h(
      'div',
      { class: 'board' },
      tiles.el,
      h(
        'div',
        { class: 'columns' },
        queue.el,
        h('div', { class: 'side' }, holdsEl, roomsEl, commandsEl, visitorPanel(ctx), manualEl),
      ),
    ),
  );
  root.classList.add('board-page');

  // The banner's parts are made once and only their text changes: the Silence button must stay
  // the same element under the guard's finger while the feed keeps updating the board.
  const bannerText = h('span', { class: 'alarm-text' });
  const bannerMore = h('span');
  const bannerHint = h('span', { class: 'hint' });
  const silence = h(
    'button',
    {
      type: 'button',
      class: 'silence',
      'data-testid': 'silence',
      onclick: () => {
        for (const x of alarming(alerts, silenced)) silenced.add(alarmKey(x) as string);
        drawAlarm();
      },
    },
    t('alarm.silence'),
  );
  mount(banner, h('strong', null, t('alarm.title')), bannerText, bannerMore, bannerHint, silence);

  const drawAlarm = () => {
    const loud = alarming(alerts, silenced);
    const fevers = alerts.filter((a) => alarmKey(a) !== null);
    setAlarmSound(loud.length > 0);
    root.dataset.alarm = alarmSounding() ? 'on' : 'off';
    banner.hidden = fevers.length === 0;
    if (fevers.length === 0) return;
    const a = (loud[0] ?? fevers[0]) as AlertState;
    const room = roomName(a.roomId);
    banner.classList.toggle('flashing', loud.length > 0);
    bannerText.textContent = [
      a.employeeNo,
      a.name,
      fmtTempC(a.temperatureTenths),
      gatePlace(a.gateId),
      room ? `→ ${room}` : null,
    ]
      .filter(Boolean)
      .join('  ');
    bannerMore.textContent = fevers.length > 1 ? t('alarm.more', { n: fevers.length - 1 }) : '';
    bannerHint.textContent =
      loud.length === 0 ? t('alarm.silenced') : soundBlocked() ? t('alarm.soundBlocked') : '';
    silence.hidden = loud.length === 0;
  };

  const drawAlerts = () => {
    queue.render(alerts);
    drawAlarm();
  };
  const drawHolds = () => {
    const list = [...holds.values()].sort((a, b) => b.since - a.since);
    mount(
      holdsEl,
      h('h2', null, t('hold.title')),
      list.length === 0
        ? h('p', { class: 'muted' }, t('hold.none'))
        : h(
            'ul',
            { class: 'holds' },
            list.map((x) =>
              h(
                'li',
                { 'data-employee': x.employeeNo },
                h('strong', null, `${x.employeeNo} ${x.name}`),
                ` · ${stageText(x.stage)} · ${roomText(x)}`,
                x.temperatureTenths !== null ? ` · ${fmtTempC(x.temperatureTenths)}` : '',
              ),
            ),
          ),
    );
    queue.render(alerts); // the hold line on the cards
  };
  const lastCommand = (gateId: string) => commands.find((c) => c.gateId === gateId);
  const drawGates = () => {
    tiles.render(gates, lastCommand);
    manual.setGates(gates.map((g) => g.gateId));
  };
  const drawRooms = () => {
    renderRooms(roomsEl, rooms, tz);
    queue.render(alerts); // room names in the cards
  };
  const drawCommands = () => {
    renderCommands(commandsEl, commands, tz);
    drawGates();
  };

  function onAlert(a: AlertState) {
    arrivedMeanwhile?.push(a);
    alerts = applyAlert(alerts, a);
    drawAlerts();
  }
  function onCommand(c: CommandView) {
    commands = applyCommand(commands, c);
    drawCommands();
  }

  let gatesTimer: ReturnType<typeof setTimeout> | null = null;
  /** Today's counts are the server's to compute; after passages, ask again at most once a second. */
  const refetchGatesSoon = () => {
    if (gatesTimer) return;
    gatesTimer = setTimeout(async () => {
      gatesTimer = null;
      try {
        gates = asGateTiles(await api.get<unknown>('/api/gates'));
        if (!closed) drawGates();
      } catch {
        // The next feed event or reconnection tries again.
      }
    }, 1000);
  };

  const refetchAll = async () => {
    arrivedMeanwhile = [];
    try {
      const [g, a, r, c, hl] = await Promise.all([
        api.get<unknown>('/api/gates'),
        api.get<AlertState[]>('/api/alerts?state=open'),
        api.get<RoomView[]>('/api/rooms'),
        api.get<CommandView[]>('/api/commands?limit=20'),
        api.get<HoldsAnswer>('/api/holds?state=active'),
      ]);
      if (closed) return;
      gates = asGateTiles(g);
      alerts = mergeFetched(a, arrivedMeanwhile);
      rooms = r;
      commands = [...c].sort((x, y) => y.at - x.at);
      holds = activeByPerson(hl.holds);
      drawHolds();
      drawRooms();
      drawCommands();
      drawAlerts();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) ctx.toast(errorText(err), 'error');
    } finally {
      arrivedMeanwhile = null;
    }
  };

  const feed = openFeed({
    onStatus: (s) => ctx.setFeedStatus(s),
    onBehind: (s) => ctx.setFeedBehind(s),
    onReconnected: () => void refetchAll(),
    // A refused stream is often an expired session: /api/me answers 401 and the login form shows.
    shouldRetry: () =>
      api.get('/api/me').then(
        () => !closed,
        (e) => !closed && !(e instanceof ApiError && e.status === 401),
      ),
    onEvent: (type, data) => {
      if (closed) return;
      switch (type) {
        case 'alert':
          onAlert(data as AlertState);
          break;
        case 'rooms':
          rooms = Array.isArray(data)
            ? (data as RoomView[])
            : ((data as { rooms: RoomView[] }).rooms ?? rooms);
          drawRooms();
          drawAlarm();
          break;
        case 'command':
          onCommand(data as CommandView);
          break;
        case 'holds': {
          const list = fromFeed(data);
          if (list) {
            holds = activeByPerson(list);
            drawHolds();
          }
          break;
        }
        case 'decision': {
          gates = fromDecision(gates, data as DecisionMessage);
          drawGates();
          refetchGatesSoon();
          break;
        }
        case 'fleet': {
          const r = fromFleet(gates, data);
          gates = r.gates;
          drawGates();
          if (r.unknown) refetchGatesSoon();
          break;
        }
      }
    },
  });
  const offSound = onSoundStateChange(drawAlarm);
  void refetchAll();

  return () => {
    closed = true;
    feed.close();
    offSound();
    if (gatesTimer) clearTimeout(gatesTimer);
    setAlarmSound(false);
    root.classList.remove('board-page');
  };
};
