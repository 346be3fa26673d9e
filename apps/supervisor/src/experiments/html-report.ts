import type { ExperimentRow } from './experiments.js';
import { BAR_FIELDS, barCount, F } from './klines.js';
import type { RunResult } from './runner.js';

/**
 * A self-contained HTML report (no script, no network): every run in a table with its own equity
 * and drawdown sparklines, and for the best out-of-sample parameter set the equity curve, the
 * drawdown and the price with its trades, as inline SVG. Long series are reduced to at most
 * MAX_POINTS per chart (min/max kept per bucket).
 */
const MAX_POINTS = 1500;
const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function reduce(xs: readonly { t: number; v: number }[]): { t: number; v: number }[] {
  if (xs.length <= MAX_POINTS) return [...xs];
  const per = Math.ceil(xs.length / (MAX_POINTS / 2));
  const out: { t: number; v: number }[] = [];
  for (let i = 0; i < xs.length; i += per) {
    const chunk = xs.slice(i, i + per);
    let lo = chunk[0]!;
    let hi = chunk[0]!;
    for (const p of chunk) {
      if (p.v < lo.v) lo = p;
      if (p.v > hi.v) hi = p;
    }
    out.push(...(lo.t <= hi.t ? [lo, hi] : [hi, lo]));
  }
  return out;
}

function chart(title: string, series: readonly { t: number; v: number }[], colour: string, marks: readonly { t: number; v: number; c: string }[] = []): string {
  const w = 900;
  const h = 220;
  const pts = reduce(series);
  if (pts.length < 2) return `<h3>${esc(title)}</h3><p>no data</p>`;
  const t0 = pts[0]!.t;
  const t1 = pts[pts.length - 1]!.t;
  const vs = [...pts.map((p) => p.v), ...marks.map((m) => m.v)];
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  const x = (t: number): number => ((t - t0) / Math.max(1, t1 - t0)) * (w - 60) + 50;
  const y = (v: number): number => h - 20 - ((v - lo) / Math.max(1e-12, hi - lo)) * (h - 40);
  const path = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
  const dots = marks.map((m) => `<circle cx="${x(m.t).toFixed(1)}" cy="${y(m.v).toFixed(1)}" r="3" fill="${m.c}"/>`).join('');
  return `<h3>${esc(title)}</h3><svg width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><rect width="${w}" height="${h}" fill="#fafafa"/><text x="4" y="14" font-size="11">${hi.toPrecision(6)}</text><text x="4" y="${h - 6}" font-size="11">${lo.toPrecision(6)}</text><path d="${path}" fill="none" stroke="${colour}" stroke-width="1"/>${dots}</svg>`;
}

/** A small inline line chart for a table cell. */
function spark(values: readonly number[], colour: string): string {
  const w = 160;
  const h = 28;
  if (values.length < 2) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const x = (i: number): number => (i / (values.length - 1)) * (w - 2) + 1;
  const y = (v: number): number => h - 2 - ((v - lo) / Math.max(1e-12, hi - lo)) * (h - 4);
  const d = values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join('');
  return `<svg width="${w}" height="${h}"><path d="${d}" fill="none" stroke="${colour}" stroke-width="1"/></svg>`;
}

export function htmlReport(o: {
  readonly rows: readonly ExperimentRow[];
  readonly best: ExperimentRow | null;
  readonly bars: Float64Array | null;
  readonly run: RunResult | null;
  readonly files: readonly string[];
  readonly gate: string;
}): string {
  const cols = ['file', 'params', 'split', 'return_pct', 'sharpe', 'sortino', 'max_drawdown_pct', 'win_rate', 'trades', 'fees', 'exposure'] as const;
  const cell = (r: ExperimentRow, c: (typeof cols)[number]): string =>
    c === 'params'
      ? Object.entries(r.params)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : String(r[c]);
  const head = `<tr>${cols.map((c) => `<th>${c}</th>`).join('')}<th>equity</th><th>drawdown</th></tr>`;
  const body = o.rows
    .map(
      (r) =>
        `<tr>${cols.map((c) => `<td>${esc(cell(r, c))}</td>`).join('')}<td>${spark(
          r.equity.map((e) => e.equity),
          '#0969da',
        )}</td><td>${spark(
          r.equity.map((e) => e.drawdown_pct),
          '#cf222e',
        )}</td></tr>`,
    )
    .join('');
  const table = `<table>${head}${body}</table>`;
  let charts = '<p>No parameter set produced trades.</p>';
  if (o.best && o.run && o.bars) {
    const bars = o.bars;
    const eq = o.run.equity.map((e) => ({ t: e.ts, v: e.equity }));
    const dd = o.run.equity.map((e) => ({ t: e.ts, v: e.drawdown_pct }));
    const price: { t: number; v: number }[] = [];
    for (let i = 0; i < barCount(bars); i++) price.push({ t: bars[i * BAR_FIELDS + F.t] ?? 0, v: bars[i * BAR_FIELDS + F.close] ?? 0 });
    const marks = o.run.trades.flatMap((t) => [
      { t: t.entry_ts, v: Number(t.entry), c: '#1a7f37' },
      { t: t.exit_ts, v: Number(t.exit), c: t.pnl >= 0 ? '#0969da' : '#cf222e' },
    ]);
    charts = `<p>Best out-of-sample set by Sharpe: <b>${esc(cell(o.best, 'params'))}</b>, run over the whole data set.</p>${chart('Equity (quote)', eq, '#0969da')}${chart('Drawdown (%)', dd, '#cf222e')}${chart('Price with trades (green: entry, blue: winning exit, red: losing exit)', price, '#57606a', marks)}`;
  }
  const gate =
    o.gate === 'ALLOW_ALL'
      ? 'AI gate: not called offline; every decision that passed the cost check was allowed unchanged (ALLOW_ALL).'
      : 'AI gate: recorded verdicts by decision_id; a decision without one was blocked.';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Vigil experiments</title><style>body{font:13px system-ui,sans-serif;margin:20px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}td:nth-child(2),td:first-child{text-align:left}</style></head><body><h1>Vigil experiments</h1><p>Data: ${o.files.map(esc).join(', ')}. Live's strategy, cost model, decision builder, risk verdict and lifecycle step against the venue's matching rules (@vigil/matching). ${esc(gate)}</p>${charts}<h2>All runs</h2>${table}</body></html>\n`;
}
