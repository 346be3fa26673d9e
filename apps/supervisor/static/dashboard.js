'use strict';
// The operational panel: read-only. Every request it makes is a GET; Ack lives in this browser.
const $ = (id) => document.getElementById(id);
const dash = (v) => (v == null || v === '' ? '-' : v);
const secs = (ms) =>
  ms == null
    ? '-'
    : ms < 1000
      ? ms.toFixed(0) + ' ms'
      : ms < 120000
        ? (ms / 1000).toFixed(1) + ' s'
        : ms < 7200000
          ? (ms / 60000).toFixed(1) + ' min'
          : (ms / 3600000).toFixed(1) + ' h';
const ago = (ts) => (ts == null ? '-' : secs(Date.now() - ts) + ' ago');
const clock = (ts) => (ts == null ? '-' : new Date(ts).toISOString().slice(11, 19) + 'Z');
const bytes = (b) =>
  b == null
    ? '-'
    : b >= 1073741824
      ? (b / 1073741824).toFixed(2) + ' GB'
      : b >= 1048576
        ? (b / 1048576).toFixed(1) + ' MB'
        : b >= 1024
          ? (b / 1024).toFixed(0) + ' kB'
          : b + ' B';
const short = (s, n) => (s == null ? '-' : String(s).length > n ? String(s).slice(0, n) + '…' : String(s));
function money(s, dp) {
  if (s == null) return '-';
  const n = Number(s);
  if (!Number.isFinite(n)) return String(s);
  return (n > 0 ? '+' : '') + n.toLocaleString('en-US', { minimumFractionDigits: dp == null ? 2 : dp, maximumFractionDigits: dp == null ? 4 : dp });
}
const signClass = (s) => (Number(s) > 0 ? 'pos' : Number(s) < 0 ? 'neg' : '');
function cell(text, cls, title) {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (cls) td.className = cls;
  if (title) td.title = title;
  return td;
}
function rows(tbody, list, cols, empty) {
  if (list.length === 0 && empty) {
    const tr = document.createElement('tr');
    const td = cell(empty, 'muted');
    td.colSpan = cols.length;
    tr.appendChild(td);
    tbody.replaceChildren(tr);
    return;
  }
  tbody.replaceChildren(
    ...list.map((x) => {
      const tr = document.createElement('tr');
      for (const c of cols) tr.appendChild(c(x));
      return tr;
    }),
  );
}
/** Tiles: [label, value, class, title]. */
function tiles(box, list) {
  box.replaceChildren(
    ...list.map(([k, v, cls, title]) => {
      const d = document.createElement('div');
      d.className = 'tile' + (cls ? ' ' + cls : '');
      if (title) d.title = title;
      const a = document.createElement('span');
      a.className = 'k';
      a.textContent = k;
      const b = document.createElement('span');
      b.className = 'v';
      b.textContent = v == null ? '-' : String(v);
      d.append(a, b);
      return d;
    }),
  );
}
const getJson = (path) => fetch(path, { cache: 'no-store' }).then((r) => r.json());

let lastOk = 0;
let lastStatus = null;
const acked = new Set(JSON.parse(localStorage.getItem('vigil.acked') || '[]'));
function ack(seq) {
  // Ack lives in this browser only: nothing is sent, the audit keeps ALERT_RAISED as the truth.
  acked.add(seq);
  localStorage.setItem('vigil.acked', JSON.stringify([...acked].slice(-500)));
  const t = document.getElementById('toast-' + seq);
  if (t) t.remove();
}
function toasts(alerts) {
  const box = $('toasts');
  for (const a of alerts) {
    if (acked.has(a.seq) || document.getElementById('toast-' + a.seq) || (a.severity !== 'CRIT' && a.severity !== 'WARN')) continue;
    const t = document.createElement('div');
    t.id = 'toast-' + a.seq;
    t.className = 'toast sev-' + a.severity;
    const txt = document.createElement('span');
    txt.textContent = a.severity + ' ' + (a.reason_code || '') + ' (' + (a.source || '-') + ') ' + clock(a.ts_ms);
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Ack';
    b.addEventListener('click', () => ack(a.seq));
    t.append(txt, b);
    box.appendChild(t);
  }
}

const ADVICE = {
  NORMAL: 'Operation allowed per policy and Live locks.',
  DEGRADE: 'New entries blocked; manage, reconcile and audit go on. Read the reasons below.',
  PAUSE: 'No new execution actions; recovery/manual only. Follow the runbook for each reason below.',
  EXIT: 'The process ended: treat as an incident and consult the audit trail of this run_id.',
};

function renderStatus(s) {
  lastOk = Date.now();
  lastStatus = s;
  for (const id of ['mode', 'mode-pill']) {
    $(id).textContent = s.mode;
    $(id).className = 'mode mode-' + s.mode;
  }
  $('since').textContent = clock(s.since_ms) + ' (' + ago(s.since_ms) + ')';
  $('mode-advice').textContent = ADVICE[s.mode] || '';
  $('run').textContent = s.run_id;
  $('uptime').textContent = secs(s.uptime_ms);
  rows(
    $('reasons'),
    s.reasons,
    [
      (x) => cell(x.code, 'sev-' + x.severity),
      (x) => cell(x.severity, 'sev-' + x.severity),
      (x) => cell(x.source),
      (x) => cell(ago(x.since_ms)),
      (x) => cell(x.count),
    ],
    'no active reason',
  );
  // 3. stage, with the stuck hint
  const st = s.stage;
  $('stage-name').textContent = st ? st.stage : '-';
  $('cycle').textContent = st && st.cycle_id != null ? st.cycle_id : '-';
  $('stage-since').textContent = st ? secs(Date.now() - st.ts_ms) : '-';
  $('last-cycle').textContent = s.last_cycle_completed_ms == null ? 'none this run' : ago(s.last_cycle_completed_ms);
  const h = s.stage_hint;
  const hint = $('stuck-hint');
  if (h && h.stuck) {
    hint.hidden = false;
    if (h.active_stage) {
      hint.className = 'hint hint-bad';
      hint.textContent =
        'STUCK? ' +
        st.stage +
        ' has not changed for ' +
        secs(h.age_ms) +
        ' (bound ' +
        secs(h.bound_ms) +
        '). Collect run_id, stage, last ts and reason codes; restart only after recording the cause (or keep PAUSE).';
    } else {
      hint.className = 'hint hint-rest';
      hint.textContent =
        'No stage change for ' +
        secs(h.age_ms) +
        ' (bound ' +
        secs(h.bound_ms) +
        '): ' +
        st.stage +
        ' is a resting stage' +
        (s.mode !== 'NORMAL' ? ' and the mode is ' + s.mode + ' (no entry cycles run).' : '; entry cycles run only when a bar closes.');
    }
  } else hint.hidden = true;
  // 4. DB and process health
  const a = (s.workers.audit && s.workers.audit.metrics) || {};
  const d = a.disk || {};
  const b = s.backups || {};
  const cp = a.last_checkpoint || null;
  tiles($('db-tiles'), [
    ['writer', a.state, a.state && a.state !== 'OK' ? 'bad' : 'good'],
    ['queue', a.queue_pct == null ? null : a.queue_pct + ' %', a.queue_pct > 50 ? 'bad' : ''],
    ['lag', a.lag_ms == null ? null : secs(a.lag_ms), a.lag_ms > 1000 ? 'bad' : ''],
    ['events/min', a.events_per_min],
    ['drops', a.dropped_total, a.dropped_total > 0 ? 'bad' : ''],
    ['disk free', bytes(d.free_bytes), s.reasons.some((r) => r.code.startsWith('DISK_LOW')) ? 'bad' : ''],
    ['DB', bytes(d.db_bytes)],
    ['WAL', bytes(d.wal_bytes)],
    [
      'backups',
      bytes(b.bytes) + ' / ' + (b.files == null ? '-' : b.files),
      '',
      b.newest_ms ? 'newest ' + new Date(b.newest_ms).toISOString() : 'no backup yet',
    ],
    ['last commit', ago(a.last_writer_commit_ts_ms)],
    ['checkpoint', cp ? ago(cp.ts_ms) : '-', '', cp ? JSON.stringify(cp) : ''],
  ]);
  const threads = Object.entries(s.workers).map(([n, w]) => [n, w]);
  const sm = s.supervisor_mem || {};
  rows(
    $('workers'),
    [
      [
        'supervisor',
        { state: 'running', heartbeat_age_ms: 0, loop: null, mem: { heap_used_bytes: sm.heap_used_bytes, heap_total_bytes: sm.heap_total_bytes } },
      ],
    ].concat(threads),
    [
      ([n]) => cell(n),
      ([, w]) => cell(w.state, w.state === 'running' ? '' : 'hot'),
      ([n, w]) => cell(n === 'supervisor' ? 'main thread' : w.heartbeat_age_ms == null ? '-' : secs(w.heartbeat_age_ms) + ' ago'),
      ([, w]) => cell(w.loop ? w.loop.p99_ms + ' ms' : '-'),
      ([, w]) => cell(bytes(w.mem && w.mem.heap_used_bytes)),
      ([, w]) => cell(bytes(w.mem && w.mem.heap_total_bytes)),
    ],
  );
  $('mem-note').textContent =
    'process RSS ' + bytes(sm.rss_bytes) + ' (shared by all threads) · external ' + bytes(sm.external_bytes) + ' · channel rejects ' + s.channel_rejects;
  const wh = s.webhooks || {};
  if (!wh.enabled) $('webhooks').textContent = 'webhooks: off (alerts on the console only)';
  else {
    const t = (wh.targets || [])
      .map(
        (x) =>
          x.url +
          ': sent ' +
          x.sent +
          ', failed ' +
          x.failed +
          ', retries ' +
          x.retries +
          ', dropped ' +
          x.dropped +
          ', queued ' +
          x.queued +
          (x.last_error ? ', last error ' + x.last_error + ' ' + ago(x.last_error_ms) : ''),
      )
      .join(' | ');
    $('webhooks').textContent = 'webhooks (' + wh.on.join(', ') + '): ' + t;
    $('webhooks').className = 'kv small-text' + (wh.failed > 0 || wh.dropped > 0 ? ' hot' : '');
  }
}

/**
 * A stop order's price column shows its trigger, never the venue's 0 price of a stop-market order
 * (which reads like a sale at zero): "stop 61000.00", with the limit for a stop-limit, and the
 * delta for a trailing stop.
 */
const STOP_TYPES = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
function priceCell(x) {
  // A market order has no price of its own: the venue reports 0 (a market exit, a safe close).
  if (x.type === 'MARKET') return cell('market', 'muted', 'venue price ' + dash(x.price));
  const trailing = x.trailing_delta_bps != null;
  if (!trailing && !STOP_TYPES.has(x.type)) return cell(dash(x.price));
  const parts = [];
  if (x.stop_price != null && Number(x.stop_price) > 0) parts.push('stop ' + x.stop_price);
  else if (!trailing) parts.push('stop ?');
  if (trailing) parts.push('trailing ' + x.trailing_delta_bps + ' bps');
  if (x.type && x.type.endsWith('_LIMIT') && x.price != null && Number(x.price) > 0) parts.push('limit ' + x.price);
  return cell(parts.join(' · '), 'stop-price', 'venue price ' + dash(x.price));
}

function orderCols() {
  return [
    (x) => cell(dash(x.symbol)),
    (x) => cell(dash(x.side), x.side === 'BUY' ? 'pos' : x.side === 'SELL' ? 'neg' : ''),
    (x) => cell(dash(x.type)),
    (x) => cell(dash(x.status), x.status === 'NEW' || x.status === 'PARTIALLY_FILLED' ? 'status-open' : x.status === 'FILLED' ? 'status-done' : 'muted'),
    (x) => priceCell(x),
    (x) => cell(dash(x.orig_qty)),
    (x) => cell(dash(x.executed_qty)),
    (x) => cell(short(x.client_order_id, 22), 'mono', x.client_order_id),
    (x) =>
      cell(
        short(x.order_intent_id, 14) + (x.intent_state ? ' ' + x.intent_state : ''),
        'mono' + (x.intent_state === 'SENT_UNKNOWN' ? ' hot' : ''),
        x.order_intent_id,
      ),
    (x) => cell(ago(x.ts_ms)),
  ];
}

function renderPnl(p) {
  const f = p.fees || {};
  const cards = [];
  const card = (label, value, cls, sub) => {
    const c = document.createElement('div');
    c.className = 'card ' + (cls || '');
    const a = document.createElement('div');
    a.className = 'card-k';
    a.textContent = label;
    const b = document.createElement('div');
    b.className = 'card-v';
    b.textContent = value;
    b.title = value;
    const s = document.createElement('div');
    s.className = 'card-s';
    s.textContent = sub || '';
    c.append(a, b, s);
    cards.push(c);
  };
  if (!p.available) {
    card('Total today', '-', '', p.why);
  } else {
    card('Total today', money(p.total), signClass(p.total), 'realized + unrealized, UTC ' + p.day);
    card('Realized today', money(p.realized), signClass(p.realized), 'closed trades, net of fees');
    card('Unrealized', money(p.unrealized), signClass(p.unrealized), 'open position at the bid');
    card('Exposure', money(p.exposure, 2).replace('+', ''), '', 'open position value');
  }
  const other = Object.entries(f.other_assets || {})
    .map(([k, v]) => v + ' ' + k)
    .join(', ');
  card('Fees today', f.fees_quote == null ? '-' : Number(f.fees_quote).toFixed(4), 'fees', 'already inside the P&L' + (other ? '; also ' + other : ''));
  $('pnl-cards').replaceChildren(...cards);
  // NONE: flat; DUST: below the lot step or the market minimum (neither protected nor sellable).
  const held = { NONE: 'flat', DUST: 'dust', TRADABLE: 'position' };
  rows(
    $('position-rows'),
    p.positions || [],
    [
      (x) => cell(x.symbol),
      (x) => cell(held[x.holding] || x.holding || '-', x.holding === 'TRADABLE' && !(x.protection && x.protection.active) ? 'bad' : ''),
      (x) => cell(x.position_qty, 'num'),
      (x) => cell(x.avg_price, 'num'),
      (x) =>
        cell(
          x.protection ? x.protection.kind + ' ' + x.protection.qty + (x.protection.active ? '' : ' (pending)') : '-',
          'mono',
          x.protection ? x.protection.id : '',
        ),
      (x) =>
        cell(
          x.unprotected_since_ms == null ? '-' : Math.max(0, Math.round((Date.now() - x.unprotected_since_ms) / 1000)) + ' s',
          x.unprotected_since_ms == null ? '' : 'bad',
        ),
      (x) => cell(x.entry ? x.entry.status + ' (' + x.entry.intent_state + ')' : '-', 'mono', x.entry ? x.entry.client_order_id : ''),
    ],
    'no engine heartbeat yet',
  );
  $('hdr-pnl').textContent = p.available ? money(p.total) : '-';
  $('hdr-pnl').className = signClass(p.total);
}

function renderGate(g) {
  const l = g.latency || {};
  const e = g.engine || {};
  tiles($('gate-tiles'), [
    ['calls', g.calls],
    ['p50', l.p50_ms == null ? null : l.p50_ms.toFixed(0) + ' ms'],
    ['p95', l.p95_ms == null ? null : l.p95_ms.toFixed(0) + ' ms', l.p95_ms > 2000 ? 'bad' : ''],
    [
      'mean',
      l.mean_ms == null ? null : l.mean_ms.toFixed(0) + ' ms',
      '',
      'engine (last ' +
        dash(e.n) +
        '): mean ' +
        (e.mean_ms == null ? '-' : e.mean_ms.toFixed(0)) +
        ' ms, variance ' +
        (e.variance_ms2 == null ? '-' : e.variance_ms2.toFixed(0)) +
        ' ms²',
    ],
    ['max', l.max_ms == null ? null : l.max_ms.toFixed(0) + ' ms'],
  ]);
  rows(
    $('gate-rows'),
    g.verdicts || [],
    [(x) => cell(x.verdict, 'verdict-' + x.verdict), (x) => cell(dash(x.error_code)), (x) => cell(x.n)],
    'no gate call in 24 h',
  );
}

function renderAlertKeys(a) {
  const keys = a.keys || [];
  $('alert-total').textContent = '(' + (a.total || 0) + ' alerts, ' + keys.length + ' keys)';
  rows(
    $('alert-keys'),
    keys,
    [
      (x) => cell(x.severity, 'sev-' + x.severity),
      (x) => cell(x.source),
      (x) => cell(x.reason_code || '-', 'sev-' + x.severity),
      (x) => cell(dash(x.symbol)),
      (x) => cell(x.count, 'num'),
      (x) => cell(clock(x.first_ts_ms), '', new Date(x.first_ts_ms).toISOString()),
      (x) => cell(clock(x.last_ts_ms) + ' (' + ago(x.last_ts_ms) + ')', '', new Date(x.last_ts_ms).toISOString()),
      (x) => cell(short(x.summary, 80), 'muted', x.summary),
    ],
    'no alert in this run',
  );
}

/** The health signals of the operations rules; a dash means no sample yet, never zero. */
function renderSignals(g) {
  if (!g || g.available === false) {
    tiles($('signal-tiles'), [['signals', 'not wired']]);
    return;
  }
  const n = (v) => (v == null ? null : v);
  const ag = g.aigate || {};
  const agc = ag.counts || {};
  const agErr = Object.entries(agc)
    .filter(([k]) => k !== 'AIGATE_BLOCKED')
    .reduce((s, [, v]) => s + v, 0);
  const su = g.sent_unknown || {};
  const w = g.writer || {};
  const q = g.quarantined || {};
  const fr = g.filters_refreshed || {};
  const b = g.blocks || {};
  tiles($('signal-tiles'), [
    ['WS reconnects/min', n(g.ws_reconnects_per_min), g.ws_reconnects_per_min > 0 ? 'warn' : ''],
    ['RATE_LIMIT', n(g.rate_limit_total), g.rate_limit_total > 0 ? 'bad' : ''],
    ['REST_THROTTLED', n(g.rest_throttled_total), g.rest_throttled_total > 0 ? 'warn' : ''],
    [
      'SENT_UNKNOWN',
      su.count == null ? null : su.count + (su.oldest_age_ms == null ? '' : ' · oldest ' + secs(su.oldest_age_ms)),
      su.count > 0 ? 'bad' : '',
      'intents in SENT_UNKNOWN now and the age of the oldest',
    ],
    ['writer queue', w.queue_depth == null ? null : w.queue_depth + ' (' + w.queue_pct + ' %)', w.queue_pct > 50 ? 'bad' : ''],
    ['writer lag', w.lag_ms == null ? null : secs(w.lag_ms)],
    [
      'AIGATE errors',
      agErr,
      agErr > 0 ? 'bad' : '',
      Object.entries(agc)
        .map(([k, v]) => k + ' ' + v)
        .join(', '),
    ],
    ['AIGATE_CALL mean', ag.latency_mean_ms == null ? null : ag.latency_mean_ms.toFixed(0) + ' ms', '', 'over the last ' + dash(ag.latency_n) + ' calls'],
    ['AIGATE_CALL variance', ag.latency_variance_ms2 == null ? null : ag.latency_variance_ms2.toFixed(0) + ' ms²'],
    ['BLOCK EDGE_TOO_LOW', n(b.EDGE_TOO_LOW)],
    ['BLOCK COST_TOO_HIGH', n(b.COST_TOO_HIGH)],
    ['quarantined', q.count == null ? null : q.count + (q.symbols && q.symbols.length ? ' · ' + q.symbols.join(', ') : ''), q.count > 0 ? 'bad' : ''],
    [
      'FILTERS_REFRESHED',
      fr.count + (fr.last_ts_ms == null ? '' : ' · ' + ago(fr.last_ts_ms)),
      '',
      fr.last_ts_ms == null ? 'never this run' : new Date(fr.last_ts_ms).toISOString(),
    ],
  ]);
  $('signal-tiles').dataset.ts = String(g.ts_ms);
}

async function sections() {
  try {
    const [a, st, it, rc, ch, od, pn, gt, sg] = await Promise.all(
      ['/api/alerts', '/api/stages', '/api/intents', '/api/reconcile', '/api/churn', '/api/orders', '/api/pnl', '/api/gate', '/api/signals'].map(getJson),
    );
    renderAlertKeys(a);
    renderSignals(sg);
    const sev = { CRIT: 0, WARN: 1, INFO: 2 };
    const alerts = a.alerts.slice().sort((x, y) => sev[x.severity] - sev[y.severity] || y.seq - x.seq);
    rows(
      $('alert-rows'),
      alerts,
      [
        (x) => cell(x.severity, 'sev-' + x.severity),
        (x) => cell(x.reason_code || '-', 'sev-' + x.severity),
        (x) => cell(x.source || '-'),
        (x) => cell(ago(x.ts_ms), '', new Date(x.ts_ms).toISOString()),
        (x) => cell(x.stage || '-'),
        (x) => cell(x.cycle_id == null ? '-' : x.cycle_id),
        (x) => cell(short(x.decision_id, 14), 'mono', x.decision_id),
        (x) => cell(short(x.order_intent_id, 14), 'mono', x.order_intent_id),
      ],
      'no alert recorded',
    );
    toasts(alerts);
    rows($('stage-rows'), st.stages, [
      (x) => cell(clock(x.ts_ms) + ' (' + ago(x.ts_ms) + ')'),
      (x) => cell(x.cycle_id == null ? '-' : x.cycle_id),
      (x) => cell(x.from_stage || '-', 'muted'),
      (x) => cell(x.stage || '-'),
    ]);
    tiles(
      $('intent-tiles'),
      it.states.map((x) => [
        x.state,
        x.count,
        x.state === 'SENT_UNKNOWN' && x.count > 0 ? 'bad' : x.state === 'SENT_UNKNOWN' ? 'good' : '',
        x.state === 'SENT_UNKNOWN'
          ? 'Never resend: resolved only by asking REST for its clientOrderId'
          : x.state === 'CREATED'
            ? 'all open ones'
            : 'reached in the last 24 h',
      ]),
    );
    $('open-note').textContent = '(audit: ' + od.open.length + (od.engine_open_orders == null ? '' : ' · engine: ' + od.engine_open_orders) + ')';
    $('hdr-orders').textContent = od.open.length;
    rows($('open-orders'), od.open, orderCols(), 'no open order');
    rows($('recent-orders'), od.recent, orderCols(), 'no order yet');
    $('reconcile-last').textContent = rc.last
      ? 'last: ' + ago(rc.last.ts_ms) + ' · ' + rc.last.duration_ms + ' ms · drift ' + rc.last.drift + ' · ' + rc.last.diffs + ' diffs'
      : 'no reconcile has run yet';
    $('reconcile-last').className = 'big-line' + (rc.last && rc.last.drift === 'BAD' ? ' hot' : rc.last && rc.last.drift === 'WARN' ? ' warn' : '');
    rows(
      $('diff-rows'),
      rc.diffs,
      [
        (x) => cell(ago(x.ts_ms)),
        (x) => cell(x.kind || '-'),
        (x) => cell(x.cycle_id == null ? '-' : x.cycle_id),
        (x) => cell(short(x.decision_id, 14), 'mono', x.decision_id),
        (x) => cell(short(x.order_intent_id, 14), 'mono', x.order_intent_id),
      ],
      'no diff',
    );
    if (!ch.available) $('churn-body').textContent = 'no data: ' + ch.why;
    else {
      const lim = ch.limits || {};
      const ranked = Object.entries(ch.symbols).sort((x, y) => y[1].new_cancel_60s + y[1].replace_60s - (x[1].new_cancel_60s + x[1].replace_60s));
      const box = document.createElement('table');
      box.className = 'compact';
      const head = document.createElement('tr');
      for (const h of ['symbol', 'new/cancel 10 s', 'new/cancel 60 s', 'replace 10 s', 'replace 60 s', '']) {
        const th = document.createElement('th');
        th.textContent = h;
        head.appendChild(th);
      }
      box.appendChild(head);
      ranked.forEach(([sym, c], i) => {
        const tr = document.createElement('tr');
        const near = (v, l) => (l && v >= 0.8 * l ? 'hot' : '');
        tr.append(
          cell(sym),
          cell(c.new_cancel_10s + ' / ' + lim.new_cancel_10s, near(c.new_cancel_10s, lim.new_cancel_10s)),
          cell(c.new_cancel_60s + ' / ' + lim.new_cancel_60s, near(c.new_cancel_60s, lim.new_cancel_60s)),
          cell(c.replace_10s + ' / ' + lim.replace_10s, near(c.replace_10s, lim.replace_10s)),
          cell(c.replace_60s + ' / ' + lim.replace_60s, near(c.replace_60s, lim.replace_60s)),
          cell(i === 0 ? 'highest churn' : '', 'muted'),
        );
        box.appendChild(tr);
      });
      $('churn-body').replaceChildren(box);
    }
    renderPnl(pn);
    renderGate(gt);
  } catch (e) {
    /* the feed indicator says whether the bot is reachable */
  }
}

const C = {
  price: '#7aa2f7',
  entry: '#3fb950',
  exit: '#ff7b72',
  stop: '#ff7b72',
  tp: '#3fb950',
  pnl: '#e3b341',
  bars: '#6e7681',
  lag: '#d2a8ff',
  queue: '#79c0ff',
};
async function charts() {
  if (!window.VigilCharts) return;
  try {
    const c = await getJson('/api/charts');
    const draw = window.VigilCharts.draw;
    const box = $('price-charts');
    const syms = Object.keys(c.price);
    for (const sym of syms) {
      let fig = document.getElementById('price-' + sym);
      if (!fig) {
        fig = document.createElement('figure');
        fig.id = 'price-' + sym;
        const cap = document.createElement('figcaption');
        const div = document.createElement('div');
        div.className = 'chart';
        fig.append(cap, div);
        box.appendChild(fig);
      }
      const m = (c.markers.symbols || {})[sym] || { fills: [], stops: [] };
      const last = c.price[sym].length ? c.price[sym][c.price[sym].length - 1][1] : null;
      fig.firstChild.textContent =
        sym + ' mid' + (last == null ? '' : ' ' + last) + ' · ▲ entry (buy fill) ▼ exit (sell fill) · dashed: stop (red) / take-profit (green) · last 30 min';
      const sells = m.fills.filter((f) => f.side === 'SELL').map((f) => f.ts_ms);
      const levels = [];
      m.stops.forEach((s, i) => {
        const next = m.stops[i + 1] ? m.stops[i + 1].ts_ms : null;
        const exit = sells.find((t) => t >= s.ts_ms);
        const t1 = [next, exit].filter((x) => x != null).sort((a, b) => a - b)[0];
        levels.push({ t0: s.ts_ms, t1: t1 == null ? null : t1, y: s.stop_price, color: C.stop, label: 'stop' });
        levels.push({ t0: s.ts_ms, t1: t1 == null ? null : t1, y: s.take_profit_price, color: C.tp, label: 'take-profit' });
      });
      draw(fig.lastChild, {
        height: 190,
        // From the first thing to show (at most 30 min back, at least 30 s wide) to now.
        x: [
          Math.min(
            c.ts_ms - 30000,
            Math.max(
              c.ts_ms - 30 * 60000,
              Math.min.apply(
                null,
                c.price[sym]
                  .map((p) => p[0])
                  .concat(
                    m.fills.map((f) => f.ts_ms),
                    m.stops.map((s) => s.ts_ms),
                    [c.ts_ms],
                  ),
              ) - 2000,
            ),
          ),
          c.ts_ms,
        ],
        series: [{ points: c.price[sym], color: C.price, label: 'mid' }],
        markers: m.fills.map((f) => ({
          t: f.ts_ms,
          y: f.price,
          shape: f.side === 'BUY' ? 'up' : 'down',
          color: f.side === 'BUY' ? C.entry : C.exit,
          title: f.side + ' ' + f.qty + ' @ ' + f.price + ' ' + (f.client_order_id || ''),
        })),
        levels,
        empty: 'no price sample yet (the engine has no quote)',
      });
    }
    draw($('chart-pnl'), {
      height: 150,
      zero: true,
      series: [{ points: c.pnl.map((p) => [p.ts_ms, p.total]), color: C.pnl, label: 'total', kind: 'step' }],
      empty: 'no P&L sample yet',
    });
    draw($('chart-epm'), {
      height: 110,
      series: [{ points: c.events_per_min.map((p) => [p.minute_ms + 30000, p.events]), color: C.bars, kind: 'bars' }],
      empty: 'no event in the last hour',
    });
    const w = c.writer;
    draw($('chart-lag'), {
      height: 110,
      zero: true,
      series: [
        { points: w.map((x) => [x[0], x[1]]), color: C.lag, label: 'lag ms' },
        { points: w.map((x) => [x[0], x[2]]), color: C.queue, label: 'queue %' },
      ],
      empty: 'no writer sample yet',
    });
  } catch (e) {
    /* next round */
  }
}

setInterval(() => {
  const age = Date.now() - lastOk;
  const f = $('feed');
  if (lastOk === 0) {
    f.textContent = 'connecting...';
    return;
  }
  f.textContent = age > 3000 ? 'FEED STALE (' + (age / 1000).toFixed(0) + ' s) - bot unreachable or exited' : 'live';
  f.className = age > 3000 ? 'feed stale' : 'feed live';
  document.body.classList.toggle('is-stale', age > 3000);
}, 500);
// Live updates over Server-Sent Events; polling only if the stream cannot be opened.
let polling = null;
function poll() {
  getJson('/api/status')
    .then(renderStatus)
    .catch(() => {});
}
try {
  const es = new EventSource('/api/stream');
  es.addEventListener('status', (ev) => renderStatus(JSON.parse(ev.data)));
  es.onerror = () => {
    if (!polling) polling = setInterval(poll, 1000);
  };
} catch (e) {
  polling = setInterval(poll, 1000);
}
poll();
setInterval(sections, 1000);
setInterval(charts, 2000);
// Disk projection (/api/storage): days left until the DEGRADE and PAUSE free-space marks.
function storageLine() {
  getJson('/api/storage')
    .then((g) => {
      const el = $('storage-line');
      if (g.days_to_warn === undefined) {
        el.textContent = 'disk projection: ' + (g.why || '-');
        return;
      }
      const d = (x) => (x == null ? 'no growth measured' : x + ' days');
      el.textContent =
        'disk projection (' +
        g.days_measured +
        ' d of growth, ' +
        bytes(g.total_bytes_per_day) +
        '/day): ' +
        d(g.days_to_warn) +
        ' to the DEGRADE mark (' +
        bytes(g.warn_threshold_bytes) +
        ' free), ' +
        d(g.days_to_critical) +
        ' to the PAUSE mark (' +
        bytes(g.critical_threshold_bytes) +
        ' free)' +
        (g.why ? ' - ' + g.why : '');
      el.className = g.days_to_warn != null && g.days_to_warn < 14 ? 'bad' : '';
    })
    .catch(() => {});
}
storageLine();
setInterval(storageLine, 15000);
// First full render: status, every section and the charts drawn once (the bench reads this mark).
const firstStatus = new Promise((resolve) => {
  const t = setInterval(() => {
    if (lastStatus) {
      clearInterval(t);
      resolve();
    }
  }, 10);
});
Promise.all([sections(), charts(), firstStatus]).then(() => {
  performance.mark('vigil-rendered');
  document.body.dataset.rendered = '1';
});
window.addEventListener('resize', () => charts());
