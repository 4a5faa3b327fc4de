/** The figures as markdown tables, for docs/RELIABILITY.md and the console. */
import type { Figures } from './check.ts';

const s = (ms: number | null) => (ms === null ? '–' : (ms / 1000).toFixed(1));

export function toMarkdown(f: Figures, command: string): string {
  const lines: string[] = [];
  lines.push(
    `Command: \`${command}\` (seed ${f.seed}), started ${f.startedAt}, ran ${Math.round(f.durationS / 60)} min ${f.durationS % 60} s.`,
    '',
  );
  lines.push('| invariant | holds | detail |', '|---|---|---|');
  for (const i of f.invariants)
    lines.push(`| ${i.name} | ${i.ok ? 'yes' : '**NO**'} | ${i.detail.replace(/\|/g, '/').slice(0, 300)} |`);
  lines.push(
    '',
    '| gate | readings generated | stored | duplicates | missing | pass | flagged | remeasure | denied | unpaired | peak outbox depth |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [g, r] of Object.entries(f.readings)) {
    const d = r.decisions;
    lines.push(
      `| ${g} | ${r.generated} | ${r.stored} | ${r.duplicates} | ${r.missingSeqs} | ${d.pass ?? 0} | ${d.flagged ?? 0} | ${d.remeasure ?? 0} | ${d.denied ?? 0} | ${d.unpaired ?? 0} | ${f.peakOutboxDepth[g] ?? 0} |`,
    );
  }
  const t = f.terminalEvents;
  lines.push(
    '',
    `People: ${f.passages.total} passages (${f.passages.released} released, ${f.passages.offline} recorded offline, ${f.passages.timedOut} verdict timeouts); face events with exactly one reading: ${t.withOneReading}/${t.presented} (missing ${t.missing}, doubled ${t.doubled}).`,
  );
  lines.push(
    `Wrong releases: **${f.wrongReleases.total}** (stray release pulses ${f.wrongReleases.unattributedPulses}; right releases the record misses because the gate was killed between opening and committing: ${f.wrongReleases.unrecordedEntitled}); temperatures paired with the wrong person: ${f.crossPaired}; true fevers released on a sensor reading below 37.3 °C: ${f.feversMissedBySensor.total} ${JSON.stringify(f.feversMissedBySensor.byFault)}.`,
  );
  lines.push(`gate-3's data disk: ${f.gate3Disk}.`);
  const d = f.dashboard;
  lines.push(
    `Dashboard (guard's list): fever readings in an alert ${d.inDashboard}/${d.feverReadings}, ${d.feverAlerts} fever alerts (the guard sees ${d.guardSees}), counted twice ${d.doubled}.${d.restarts
      .map(
        (r, k) =>
          ` Restart ${k + 1}: /healthz after ${s(r.healthzAfterMs as number | null)} s, first alert published after ${s(r.firstAlertAfterMs as number | null)} s, fevers from while it was down ${r.feversWhileDownDelivered}/${r.feversWhileDown} (all in after ${s(r.backlogAfterMs as number | null)} s).`,
      )
      .join('')}`,
  );
  lines.push(
    `Process restarts (hub, edges, dashboard): ${f.restarts}. Clock steps on gate-3: ${f.clock.gate3ReadingsDuringSteps} readings taken during steps, largest deviation of a reading's time ${f.clock.maxDeviationMs} ms, ${f.clock.orderInversions} order inversions; twice-daily log entries right: ${f.clock.logEntries - f.clock.logEntriesWrong}/${f.clock.logEntries}.`,
    '',
  );
  lines.push(
    '| fault | injections | gate recovery: min / median / max (s) | not recovered |',
    '|---|---|---|---|',
  );
  for (const x of f.faults)
    lines.push(
      `| ${x.kind} | ${x.injections} | ${s(x.recoveryMs.min)} / ${s(x.recoveryMs.median)} / ${s(x.recoveryMs.max)} | ${x.recoveryMs.notRecovered} |`,
    );
  lines.push('', '| alert | expected | raised |', '|---|---|---|');
  for (const a of f.alerts) lines.push(`| ${a.kind} | ${a.expected} | ${a.raised} |`);
  lines.push('');
  return lines.join('\n');
}
