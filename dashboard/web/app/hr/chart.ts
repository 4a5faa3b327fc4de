/**
 * An employee's temperatures over the period (uPlot), with the 37.3 °C line. Loaded on demand:
 * the guard's board never pays for the chart library.
 */
import uPlot from 'uplot';
import { fmtDateTime, fmtTime } from '../format.ts';
import { t } from '../i18n.ts';

const FEVER = 37.3;

export function drawChart(
  el: HTMLElement,
  points: { at: number; tenths: number }[],
  timeZone: string,
): () => void {
  const xs = points.map((p) => p.at / 1000);
  const ys = points.map((p) => p.tenths / 10);
  const width = Math.max(320, Math.min(1100, el.clientWidth || 800));
  const min = Math.min(35.5, ...ys);
  const max = Math.max(38.5, ...ys);
  const plot = new uPlot(
    {
      width,
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
      scales: { y: { range: [min - 0.2, max + 0.2] } },
      series: [
        { label: t('report.time'), value: (_u, v) => (v === null ? '—' : fmtDateTime(v * 1000, timeZone)) },
        {
          label: t('hr.chartSeries'),
          stroke: '#2f7fd8',
          width: 2,
          points: { show: true, size: 7 },
          value: (_u, v) => (v === null ? '—' : `${v.toFixed(1)} °C`),
        },
        { label: t('hr.feverLine'), stroke: '#d22', width: 1, dash: [6, 4], points: { show: false } },
      ],
      axes: [
        // 24-hour local times of the site, the same in both languages (uPlot's default is 12 h, en-US).
        {
          // Within a day the date says nothing: show the clock (with seconds when that is all there is).
          values: (u, splits) => {
            const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
            return splits.map((s) =>
              span < 3600
                ? fmtTime(s * 1000, timeZone, 'en')
                : fmtDateTime(s * 1000, timeZone)
                    .slice(5)
                    .replace(' ', span < 86_400 ? ' ' : '\n'),
            );
          },
        },
        { values: (_u, vals) => vals.map((v) => v.toFixed(1)) },
      ],
    },
    [xs, ys, xs.map(() => FEVER)],
    el,
  );
  return () => plot.destroy();
}
