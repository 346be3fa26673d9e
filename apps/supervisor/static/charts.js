'use strict';
// Small hand-rolled SVG charts for the panel: served from the process (no CDN, works offline),
// built with DOM calls (no innerHTML, no inline script), redrawn on every update.
(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const el = (name, attrs, text) => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text != null) e.textContent = text;
    return e;
  };
  const hhmm = (t) => {
    const d = new Date(t);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  };
  const hhmmss = (t) => hhmm(t) + ':' + String(new Date(t).getSeconds()).padStart(2, '0');
  function niceTicks(min, max, n) {
    if (!(max > min)) {
      const d = Math.abs(min) * 0.01 || 1;
      min -= d;
      max += d;
    }
    const raw = (max - min) / n;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toFixed(12)));
    return { ticks: out, step };
  }
  function fmt(v, step) {
    const dp = step >= 1 ? 0 : Math.min(8, Math.ceil(-Math.log10(step)));
    return v.toLocaleString('en-US', { minimumFractionDigits: dp, maximumFractionDigits: dp });
  }

  /**
   * opts: { series: [{ points: [[t, y]], color, label, kind: 'line'|'bars'|'step', width }],
   *         markers: [{ t, y, shape: 'up'|'down', color, title }],
   *         levels: [{ t0, t1, y, color, label }], zero: bool, x: [t0, t1], height, empty }
   */
  function draw(container, opts) {
    const W = Math.max(240, container.clientWidth || 600);
    const H = opts.height || 160;
    const padL = 62,
      padR = 10,
      padT = 8,
      padB = 20;
    const svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', class: 'vchart' });
    const pts = [];
    for (const s of opts.series) for (const p of s.points) if (p[1] != null && Number.isFinite(p[1])) pts.push(p);
    const ms = (opts.markers || []).filter((m) => Number.isFinite(m.y));
    const lv = (opts.levels || []).filter((l) => Number.isFinite(l.y));
    if (pts.length === 0 && ms.length === 0) {
      svg.appendChild(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'vc-empty' }, opts.empty || 'no data yet'));
      container.replaceChildren(svg);
      return svg;
    }
    const ts = pts.map((p) => p[0]).concat(ms.map((m) => m.t));
    let x0 = opts.x ? opts.x[0] : Math.min.apply(null, ts);
    let x1 = opts.x ? opts.x[1] : Math.max.apply(null, ts);
    if (!(x1 > x0)) {
      x0 -= 30000;
      x1 += 30000;
    }
    const ys = pts
      .map((p) => p[1])
      .concat(
        ms.map((m) => m.y),
        lv.map((l) => l.y),
      );
    if (opts.zero || opts.series.some((s) => s.kind === 'bars')) ys.push(0);
    let y0 = Math.min.apply(null, ys),
      y1 = Math.max.apply(null, ys);
    const pad = (y1 - y0) * 0.08 || Math.abs(y1) * 0.002 || 1;
    if (!opts.series.some((s) => s.kind === 'bars')) y0 -= pad;
    y1 += pad;
    const nt = niceTicks(y0, y1, 4);
    const X = (t) => padL + ((t - x0) / (x1 - x0)) * (W - padL - padR);
    const Y = (v) => padT + (1 - (v - y0) / (y1 - y0)) * (H - padT - padB);
    for (const v of nt.ticks) {
      if (v < y0 || v > y1) continue;
      svg.appendChild(el('line', { x1: padL, x2: W - padR, y1: Y(v), y2: Y(v), class: v === 0 ? 'vc-zero' : 'vc-grid' }));
      svg.appendChild(el('text', { x: padL - 6, y: Y(v) + 4, 'text-anchor': 'end', class: 'vc-axis' }, (opts.yFormat || fmt)(v, nt.step)));
    }
    // Time ticks on round clock steps, about one per 110 px; seconds shown when the step is short.
    const want = (x1 - x0) / Math.max(2, Math.floor((W - padL - padR) / 110));
    const tstep = [5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5].find((s) => s >= want) || 36e5;
    for (let t = Math.ceil(x0 / tstep) * tstep; t <= x1; t += tstep) {
      svg.appendChild(el('text', { x: X(t), y: H - 5, 'text-anchor': 'middle', class: 'vc-axis' }, tstep < 6e4 ? hhmmss(t) : hhmm(t)));
    }
    for (const l of lv) {
      const a = Math.max(X(l.t0), padL),
        b = Math.min(X(l.t1 == null ? x1 : l.t1), W - padR);
      if (b <= a) continue;
      const g = el('line', { x1: a, x2: b, y1: Y(l.y), y2: Y(l.y), stroke: l.color, class: 'vc-level' });
      g.appendChild(el('title', {}, (l.label || '') + ' ' + l.y));
      svg.appendChild(g);
    }
    for (const s of opts.series) {
      const p = s.points.filter((q) => q[1] != null && Number.isFinite(q[1]));
      if (p.length === 0) continue;
      if (s.kind === 'bars') {
        const bw = Math.max(1, ((W - padL - padR) / Math.max(p.length, (x1 - x0) / 60000)) * 0.8);
        for (const q of p) svg.appendChild(el('rect', { x: X(q[0]) - bw / 2, y: Y(q[1]), width: bw, height: Math.max(0, Y(0) - Y(q[1])), fill: s.color }));
      } else {
        let d = '';
        p.forEach((q, i) => {
          if (s.kind === 'step' && i > 0) d += 'L' + X(q[0]).toFixed(1) + ' ' + Y(p[i - 1][1]).toFixed(1);
          d += (i ? 'L' : 'M') + X(q[0]).toFixed(1) + ' ' + Y(q[1]).toFixed(1);
        });
        svg.appendChild(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': s.width || 1.5 }));
        if (p.length === 1) svg.appendChild(el('circle', { cx: X(p[0][0]), cy: Y(p[0][1]), r: 2.5, fill: s.color }));
      }
    }
    for (const m of ms) {
      const cx = X(m.t),
        cy = Y(m.y),
        r = 6;
      const d =
        m.shape === 'down'
          ? 'M' + (cx - r) + ' ' + (cy - r) + 'L' + (cx + r) + ' ' + (cy - r) + 'L' + cx + ' ' + (cy + 1) + 'Z'
          : 'M' + (cx - r) + ' ' + (cy + r) + 'L' + (cx + r) + ' ' + (cy + r) + 'L' + cx + ' ' + (cy - 1) + 'Z';
      const g = el('path', { d, fill: m.color, class: 'vc-marker vc-' + (m.shape || 'up') });
      g.appendChild(el('title', {}, m.title || ''));
      svg.appendChild(g);
    }
    const legend = opts.series
      .filter((s) => s.label)
      .map((s) => [s.label, s.color])
      .concat(opts.legend || []);
    let lx = padL + 6;
    for (const [label, color] of legend) {
      svg.appendChild(el('rect', { x: lx, y: padT + 2, width: 10, height: 3, fill: color }));
      const t = el('text', { x: lx + 14, y: padT + 8, class: 'vc-legend' }, label);
      svg.appendChild(t);
      lx += 22 + label.length * 6.5;
    }
    container.replaceChildren(svg);
    return svg;
  }
  window.VigilCharts = { draw };
})();
