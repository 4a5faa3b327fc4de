/** A small line-plot writer (SVG, no dependency): panels side by side, each with its own y axis. */

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const W = 460;
const H = 320;
const M = { left: 62, right: 16, top: 34, bottom: 92 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 1, 2, 5 × 10^k steps giving about `n` ticks from 0 to max. */
function ticks(max: number, n = 5): number[] {
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) out.push(Number(v.toPrecision(6)));
  return out;
}

function panel(p: Panel, ox: number): string {
  const xs = p.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = p.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const xMax = Math.max(...xs);
  const yTicks = ticks(Math.max(...ys, 1) * 1.1);
  const yMax = yTicks[yTicks.length - 1] as number;
  const xTicks = [...new Set(xs)].sort((a, b) => a - b);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (x: number) => ox + M.left + (x / xMax) * pw;
  const Y = (y: number) => M.top + ph - (y / yMax) * ph;
  const parts: string[] = [
    `<text x="${ox + W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`,
    `<line x1="${X(0)}" y1="${Y(0)}" x2="${X(xMax)}" y2="${Y(0)}" stroke="#333"/>`,
    `<line x1="${X(0)}" y1="${Y(0)}" x2="${X(0)}" y2="${Y(yMax)}" stroke="#333"/>`,
  ];
  for (const t of yTicks)
    parts.push(
      `<line x1="${X(0)}" y1="${Y(t)}" x2="${X(xMax)}" y2="${Y(t)}" stroke="#ddd"/>`,
      `<text x="${X(0) - 6}" y="${Y(t) + 4}" text-anchor="end">${t}</text>`,
    );
  for (const t of xTicks) parts.push(`<text x="${X(t)}" y="${Y(0) + 16}" text-anchor="middle">${t}</text>`);
  parts.push(
    `<text x="${ox + M.left + pw / 2}" y="${Y(0) + 34}" text-anchor="middle">${esc(p.xLabel)}</text>`,
    `<text transform="translate(${ox + 16} ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, i) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`,
      ...pts.map(
        ([x, y]) => `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${s.color}"/>`,
      ),
    );
    const ly = H - M.bottom + 52 + Math.floor(i / 2) * 16;
    const lx = ox + M.left + (i % 2) * (pw / 2);
    parts.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 28}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

export function linePlots(panels: Panel[]): string {
  const width = W * panels.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif" font-size="11" role="img">
<title>${esc(panels.map((p) => p.title).join('; '))}</title>
<rect width="100%" height="100%" fill="white"/>
${panels.map((p, i) => panel(p, i * W)).join('\n')}
</svg>
`;
}
