/**
 * The dashboard page, served from the process itself (no CDN: it must work offline). No inline
 * script or style: the CSP forbids both.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil - operational panel</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
<header>
  <h1>Vigil</h1>
  <span id="feed" class="feed">connecting...</span>
</header>
<div id="toasts" aria-live="polite"></div>
<main>
  <section id="sys-mode" data-order="1">
    <h2>1. SYS MODE</h2>
    <div class="mode-line"><span id="mode" class="mode">?</span> since <span id="since">-</span> <span class="muted">run <span id="run">-</span></span></div>
    <table><thead><tr><th>reason_code</th><th>severity</th><th>source</th><th>since</th><th>count</th></tr></thead><tbody id="reasons"></tbody></table>
  </section>
  <section id="alerts" data-order="2">
    <h2>2. Alerts</h2>
    <table><thead><tr><th>severity</th><th>reason_code</th><th>source</th><th>when</th><th>stage</th><th>cycle_id</th><th>decision_id</th><th>order_intent_id</th></tr></thead><tbody id="alert-rows"></tbody></table>
  </section>
  <section id="stage" data-order="3">
    <h2>3. Current stage</h2>
    <div><span id="stage-name">-</span> cycle <span id="cycle">-</span> since <span id="stage-since">-</span></div>
    <table><thead><tr><th>when</th><th>cycle_id</th><th>from</th><th>to</th></tr></thead><tbody id="stage-rows"></tbody></table>
  </section>
  <section id="health" data-order="4">
    <h2>4. DB and process health</h2>
    <div class="kv" id="db-health">-</div>
    <table><thead><tr><th>worker</th><th>state</th><th>heartbeat age</th><th>loop p99</th><th>RSS</th><th>heap</th></tr></thead><tbody id="workers"></tbody></table>
  </section>
  <section id="intents" data-order="5">
    <h2>5. Pending intents</h2>
    <table><thead><tr><th>state</th><th>count</th></tr></thead><tbody id="intent-rows"></tbody></table>
  </section>
  <section id="reconcile" data-order="6">
    <h2>6. Reconcile</h2>
    <div id="reconcile-last">-</div>
    <table><thead><tr><th>when</th><th>kind</th><th>cycle_id</th><th>decision_id</th><th>order_intent_id</th></tr></thead><tbody id="diff-rows"></tbody></table>
  </section>
  <section id="churn" data-order="7">
    <h2>7. Churn / cancel-replace (10 s / 60 s)</h2>
    <div id="churn-body">-</div>
  </section>
</main>
</body>
</html>`;

export const DASHBOARD_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#111;color:#ddd}
header{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#1b1b1b;border-bottom:1px solid #333}
h1{font-size:1.1rem;margin:0}h2{font-size:.95rem;margin:.2rem 0 .5rem;color:#aaa}
main{padding:1rem;display:grid;gap:1rem}
section{background:#1a1a1a;border:1px solid #2c2c2c;border-radius:6px;padding:.7rem}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #2a2a2a}
.mode{font-weight:700;padding:.1rem .6rem;border-radius:4px}
.mode-NORMAL{background:#1e6b2e}.mode-DEGRADE{background:#8a6d00}.mode-PAUSE{background:#8b1e1e}.mode-EXIT{background:#444}
.feed{margin-left:auto;font-size:.85rem}.stale{color:#ff6b6b;font-weight:700}.muted{color:#888}
.sev-CRIT{color:#ff6b6b}.sev-WARN{color:#f0c040}
#toasts{position:fixed;top:3.2rem;right:1rem;display:grid;gap:.5rem;z-index:10}
.toast{background:#2a1010;border:1px solid #8b1e1e;border-radius:6px;padding:.5rem .7rem;display:flex;gap:.7rem;align-items:center}
.toast.sev-WARN{background:#2a2410;border-color:#8a6d00}
.toast button{background:#333;color:#ddd;border:1px solid #555;border-radius:4px;cursor:pointer}
.kv{margin-bottom:.5rem}.kv span{margin-right:1.2rem}.hot{color:#ff6b6b;font-weight:700}
`;

export const DASHBOARD_JS = `
'use strict';
const $ = (id) => document.getElementById(id);
const ago = (ts) => ts == null ? '-' : ((Date.now() - ts) / 1000).toFixed(1) + ' s ago';
const mb = (b) => b == null ? '-' : (b / 1048576).toFixed(0) + ' MB';
function cell(text, cls) { const td = document.createElement('td'); td.textContent = String(text); if (cls) td.className = cls; return td; }
function rows(tbody, list, cols) {
  tbody.replaceChildren(...list.map((x) => { const tr = document.createElement('tr'); for (const c of cols) tr.appendChild(c(x)); return tr; }));
}
let lastOk = 0;
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
    txt.textContent = a.severity + ' ' + (a.reason_code || '') + ' (' + (a.source || '-') + ')';
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Ack';
    b.addEventListener('click', () => ack(a.seq));
    t.append(txt, b);
    box.appendChild(t);
  }
}
function renderStatus(s) {
    lastOk = Date.now();
    $('mode').textContent = s.mode; $('mode').className = 'mode mode-' + s.mode;
    $('since').textContent = new Date(s.since_ms).toISOString() + ' (' + ago(s.since_ms) + ')';
    $('run').textContent = s.run_id;
    rows($('reasons'), s.reasons, [(x) => cell(x.code, 'sev-' + x.severity), (x) => cell(x.severity, 'sev-' + x.severity), (x) => cell(x.source), (x) => cell(ago(x.since_ms)), (x) => cell(x.count)]);
    $('stage-name').textContent = s.stage ? s.stage.stage : '-';
    $('cycle').textContent = s.stage && s.stage.cycle_id != null ? s.stage.cycle_id : '-';
    $('stage-since').textContent = s.stage ? ago(s.stage.ts_ms) : '-';
    rows($('workers'), Object.entries(s.workers), [([n]) => cell(n), ([, w]) => cell(w.state), ([, w]) => cell(w.heartbeat_age_ms == null ? '-' : w.heartbeat_age_ms + ' ms'), ([, w]) => cell(w.loop ? w.loop.p99_ms + ' ms' : '-'), ([, w]) => cell(mb(w.mem && w.mem.rss_bytes)), ([, w]) => cell(mb(w.mem && w.mem.heap_used_bytes))]);
    const a = (s.workers.audit && s.workers.audit.metrics) || {};
    const d = a.disk || {};
    const kv = [['writer', a.state], ['queue', a.queue_pct == null ? '-' : a.queue_pct + ' %'], ['lag', a.lag_ms == null ? '-' : a.lag_ms + ' ms'], ['events/min', a.events_per_min], ['drops', a.dropped_total], ['disk free', mb(d.free_bytes)], ['DB', mb(d.db_bytes)], ['WAL', mb(d.wal_bytes)], ['last commit', ago(a.last_writer_commit_ts_ms)]];
    $('db-health').replaceChildren(...kv.map(([k, v]) => { const sp = document.createElement('span'); sp.textContent = k + ': ' + (v == null ? '-' : v); if ((k === 'writer' && v && v !== 'OK') || (k === 'drops' && v > 0)) sp.className = 'hot'; return sp; }));
}
async function sections() {
  try {
    const [a, st] = await Promise.all([fetch('/api/alerts', { cache: 'no-store' }).then((x) => x.json()), fetch('/api/stages', { cache: 'no-store' }).then((x) => x.json())]);
    const sev = { CRIT: 0, WARN: 1, INFO: 2 };
    const alerts = a.alerts.slice().sort((x, y) => (sev[x.severity] - sev[y.severity]) || (y.seq - x.seq));
    rows($('alert-rows'), alerts, [(x) => cell(x.severity, 'sev-' + x.severity), (x) => cell(x.reason_code || '-'), (x) => cell(x.source || '-'), (x) => cell(ago(x.ts_ms)), (x) => cell(x.stage || '-'), (x) => cell(x.cycle_id == null ? '-' : x.cycle_id), (x) => cell(x.decision_id || '-'), (x) => cell(x.order_intent_id || '-')]);
    toasts(alerts);
    rows($('stage-rows'), st.stages, [(x) => cell(ago(x.ts_ms)), (x) => cell(x.cycle_id == null ? '-' : x.cycle_id), (x) => cell(x.from_stage || '-'), (x) => cell(x.stage || '-')]);
    const it = await fetch('/api/intents', { cache: 'no-store' }).then((x) => x.json());
    rows($('intent-rows'), it.states, [(x) => cell(x.state, x.state === 'SENT_UNKNOWN' && x.count > 0 ? 'hot' : ''), (x) => cell(x.count)]);
    const rc = await fetch('/api/reconcile', { cache: 'no-store' }).then((x) => x.json());
    $('reconcile-last').textContent = rc.last ? 'last: ' + ago(rc.last.ts_ms) + ', ' + rc.last.duration_ms + ' ms, drift ' + rc.last.drift + ', ' + rc.last.diffs + ' diffs' : 'no reconcile has run yet';
    rows($('diff-rows'), rc.diffs, [(x) => cell(ago(x.ts_ms)), (x) => cell(x.kind || '-'), (x) => cell(x.cycle_id == null ? '-' : x.cycle_id), (x) => cell(x.decision_id || '-'), (x) => cell(x.order_intent_id || '-')]);
    const ch = await fetch('/api/churn', { cache: 'no-store' }).then((x) => x.json());
    if (!ch.available) $('churn-body').textContent = 'no data: ' + ch.why;
    else {
      const lim = ch.limits || {};
      const lines = Object.entries(ch.symbols).map(([sym, c]) => sym + ': new/cancel ' + c.new_cancel_10s + '/' + lim.new_cancel_10s + ' (10 s), ' + c.new_cancel_60s + '/' + lim.new_cancel_60s + ' (60 s); replace ' + c.replace_10s + '/' + lim.replace_10s + ' (10 s), ' + c.replace_60s + '/' + lim.replace_60s + ' (60 s)');
      $('churn-body').textContent = lines.join(' | ');
    }
  } catch (e) {
    /* the feed indicator says whether the bot is reachable */
  }
}
setInterval(() => {
  const age = Date.now() - lastOk;
  const f = $('feed');
  if (lastOk === 0) { f.textContent = 'connecting...'; return; }
  f.textContent = age > 3000 ? 'FEED STALE (' + (age / 1000).toFixed(0) + ' s) - bot unreachable or exited' : 'live';
  f.className = age > 3000 ? 'feed stale' : 'feed';
}, 500);
// Live updates over Server-Sent Events; polling only if the stream cannot be opened.
let polling = null;
function poll() {
  fetch('/api/status', { cache: 'no-store' }).then((r) => r.json()).then(renderStatus).catch(() => {});
}
try {
  const es = new EventSource('/api/stream');
  es.addEventListener('status', (ev) => renderStatus(JSON.parse(ev.data)));
  es.onerror = () => { if (!polling) polling = setInterval(poll, 1000); };
} catch (e) {
  polling = setInterval(poll, 1000);
}
poll();
setInterval(sections, 1000);
sections();
`;
