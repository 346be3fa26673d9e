/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ORDER_ID_RE } from '@vigil/contracts';
import { startPanel, type PanelServer } from '../../apps/supervisor/src/panel/server.js';
import { supervisorPanelSource } from '../../apps/supervisor/src/status.js';
import { SLOW_BREAKOUT_SEED } from '../integration/harness.js';
import { startTrading, waitFor } from '../engine/engine-harness.js';

/**
 * The dashboard in headless Chromium (Debian's package) against a real bot trading on the
 * simulator, reviewed by the local AI reviewer. Without /usr/bin/chromium the browser tests are
 * skipped, not passed.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

let browser: Browser;
let panel: PanelServer;
let source: ReturnType<typeof supervisorPanelSource>;
let bot: Awaited<ReturnType<typeof startTrading>>;
let page: Page;
const methods: string[] = [];
const errors: string[] = [];

const text = (p: Page, sel: string): Promise<string> => p.locator(sel).first().innerText();

describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium', () => {
  beforeAll(async () => {
    bot = await startTrading({ seed: SLOW_BREAKOUT_SEED });
    source = supervisorPanelSource(bot.sup, bot.runId, bot.varDir);
    panel = await startPanel(source, '127.0.0.1', 0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('request', (r) => methods.push(`${r.method()} ${new URL(r.url()).pathname}`));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${panel.url}/dashboard`);
  });
  afterAll(async () => {
    await browser?.close();
    await panel?.close();
    source?.close();
    await bot?.stopAll();
  });

  it('shows the seven sections in the fixed order, live, and the stage history advances', async () => {
    await page.waitForFunction(() => ['PAUSE', 'DEGRADE', 'NORMAL'].includes(document.getElementById('mode')?.textContent ?? ''), undefined, {
      timeout: 30_000,
    });
    const order = await page.$$eval('main > section', (els) => els.map((e) => Number(e.getAttribute('data-order'))));
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const titles = await page.$$eval('main > section > h2', (els) => els.map((e) => e.textContent ?? ''));
    expect(titles.map((t) => t.replace(/^\d+\s*/, '').split(' (')[0])).toEqual([
      'SYS MODE',
      'Active alerts',
      'Current stage',
      'DB and process health',
      'Pending intents and orders',
      'Reconcile',
      'Churn / cancel-replace',
    ]);
    await page.waitForFunction(() => (document.getElementById('stage-rows')?.children.length ?? 0) > 0, undefined, { timeout: 30_000 });
    const first = await text(page, '#stage-rows tr');
    // The newest row changes as the engine moves (startup reconcile, manage-only, then cycles).
    await page.waitForFunction((f) => (document.querySelector('#stage-rows tr') as HTMLElement | null)?.innerText !== f, first, { timeout: 30_000 });
    expect(await page.locator('#feed').innerText()).toBe('live');
  });

  it('renders orders, gain/loss cards, the price chart with entries and stops, and AI gate figures from the trading bot', async () => {
    await waitFor('NORMAL', () => bot.sup.modeState.mode === 'NORMAL', 20_000, 50);
    // A real entry: filled, then protected by an OCO (its stop and take-profit are the chart's levels).
    await waitFor('protection placed', () => bot.q("SELECT seq FROM events WHERE event_type = 'PROTECTION_PLACED'").length > 0, 40_000, 100);

    // Orders: rows with a Binance-valid clientOrderId and the intent they belong to.
    await page.waitForFunction(() => document.querySelectorAll('#recent-orders tr td.mono').length > 0, undefined, { timeout: 30_000 });
    const coids = await page.$$eval('#recent-orders tr', (trs) => trs.map((tr) => (tr.children[7] as HTMLElement | undefined)?.title ?? ''));
    expect(coids.filter((c) => c !== '').every((c) => /^[.A-Za-z0-9_-]{1,36}$/.test(c))).toBe(true);
    expect(coids.some((c) => CLIENT_ORDER_ID_RE.test(c))).toBe(true);
    const intentCells = await page.$$eval('#recent-orders tr', (trs) => trs.map((tr) => (tr.children[8] as HTMLElement | undefined)?.title ?? ''));
    expect(intentCells.some((i) => i.startsWith('oi_'))).toBe(true);
    // The audit's open orders agree with the page (the OCO legs are working at the venue).
    const openDb = bot.q<{ n: number }>("SELECT count(*) AS n FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED', 'PENDING_NEW')")[0]!.n;
    expect(openDb).toBeGreaterThan(0);
    await page.waitForFunction(
      () => (document.getElementById('hdr-orders')?.textContent ?? '-') !== '-' && Number(document.getElementById('hdr-orders')?.textContent) > 0,
      undefined,
      { timeout: 30_000 },
    );

    // Gain/loss cards: numbers from the engine's ledger, fees from today's fills. The page has been
    // polling since before the entry, so its cards may still be a render from before the fill: wait
    // for one that shows the open position's exposure (the 4th card) before reading them all.
    await page.waitForFunction(
      () => {
        const vs = Array.from(document.querySelectorAll('#pnl-cards .card .card-v')).map((v) => v.textContent ?? '-');
        return vs.length === 5 && vs[0] !== '-' && Number((vs[3] ?? '').replace(/,/g, '')) > 0;
      },
      undefined,
      { timeout: 30_000 },
    );
    const cards = await page.$$eval('#pnl-cards .card', (cs) =>
      cs.map((c) => [c.querySelector('.card-k')?.textContent ?? '', c.querySelector('.card-v')?.textContent ?? '']),
    );
    expect(cards.map(([k]) => k)).toEqual(['Total today', 'Realized today', 'Unrealized', 'Exposure', 'Fees today']);
    for (const [, v] of cards) expect(v).toMatch(/^[+-]?[\d,]+\.\d+$/);
    const fees = (source.pnl!() as { fees: { fees_quote: string } }).fees.fees_quote;
    expect(Number(fees)).toBeGreaterThan(0); // the simulator charges commission on every fill
    expect(Number((cards[3]![1] ?? '').replace(/,/g, ''))).toBeGreaterThan(0); // an open position has exposure
    // The positions table: the traded symbol held, with its quantity and the OCO that protects it.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#position-rows tr')).some((tr) => /position/.test(tr.textContent ?? '') && /OCO/.test(tr.textContent ?? '')),
      undefined,
      { timeout: 30_000 },
    );
    const held = await page.$$eval('#position-rows tr', (trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent ?? '')));
    const row = held.find((r) => r[1] === 'position')!;
    expect(Number(row[2])).toBeGreaterThan(0);
    expect(row[4]).toMatch(/^OCO [\d.]+$/);

    // Price chart: a mid line, a BUY marker at the entry fill and dashed stop/take-profit levels. The
    // markers come from the audit and the line from the panel's own samples of the engine's quotes
    // (one every 2 s from the panel's start): a render can hold the fill before the first sample
    // with a quote (seen alone, 1 run in 5), so the wait is for all three.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#price-charts svg .vc-marker.vc-up').length > 0 &&
        document.querySelectorAll('#price-charts svg .vc-level').length >= 2 &&
        document.querySelectorAll('#price-charts svg path[stroke="#7aa2f7"]').length > 0,
      undefined,
      { timeout: 30_000 },
    );
    const title = await page.locator('#price-charts svg .vc-marker.vc-up title').first().textContent();
    expect(title).toMatch(/^BUY [\d.]+ @ [\d.]+/);
    // Events/min bars and the P&L line have data too.
    expect(await page.locator('#chart-epm svg rect').count()).toBeGreaterThan(0);
    await page.waitForFunction(() => document.querySelectorAll('#chart-pnl svg path, #chart-pnl svg circle').length > 0, undefined, { timeout: 30_000 });

    // AI gate: calls counted by verdict, latency shown.
    await page.waitForFunction(() => Number(document.querySelector('#gate-tiles .tile .v')?.textContent ?? '0') > 0, undefined, { timeout: 30_000 });
    expect(await page.locator('#gate-rows tr', { hasText: /ALLOW|MODIFY/ }).count()).toBeGreaterThan(0);
    const p95 = await page.locator('#gate-tiles .tile', { hasText: 'p95' }).locator('.v').innerText();
    expect(p95).toMatch(/^\d+ ms$/);

    // DB and process health: disk, WAL, backups and memory per thread.
    const tilesText = await page.locator('#db-tiles').innerText();
    for (const k of ['WRITER', 'QUEUE', 'LAG', 'DISK FREE', 'DB', 'WAL', 'BACKUPS']) expect(tilesText.toUpperCase()).toContain(k);
    expect(await page.locator('#workers tr').count()).toBe(4);
    expect(await page.locator('#mem-note').innerText()).toMatch(/process RSS [\d.]+ MB/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}panel.png`, fullPage: true });
  });

  it('shows a stop order by its stop price (stop-limit: with its limit; trailing: its delta) and a market order as market, never as a price of 0', async () => {
    // The OCO placed above: its stop leg is a STOP_LOSS_LIMIT working at the venue.
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#open-orders tr')).some((tr) => tr.children[2]?.textContent === 'STOP_LOSS_LIMIT'),
      undefined,
      { timeout: 30_000 },
    );
    const stopRow = await page.$$eval('#open-orders tr', (trs) =>
      trs.map((tr) => Array.from(tr.children).map((c) => c.textContent ?? '')).find((c) => c[2] === 'STOP_LOSS_LIMIT'),
    );
    const placed = JSON.parse(
      bot.q<{ payload: string }>("SELECT payload FROM events WHERE event_type = 'PROTECTION_PLACED' ORDER BY seq DESC LIMIT 1")[0]!.payload,
    ) as { stop_price: string };
    expect(stopRow![4]).toMatch(/^stop [\d.]+ · limit [\d.]+$/);
    expect(stopRow![4]!.startsWith(`stop ${placed.stop_price} `)).toBe(true);
    // The page's own cell builder for the rows a trailing or stop-market order makes (the venue reports price 0).
    const cells = await page.evaluate(() => {
      const f = (window as unknown as { priceCell: (x: Record<string, unknown>) => HTMLElement }).priceCell;
      return [
        f({ type: 'STOP_LOSS', price: '0.00000000', stop_price: null, trailing_delta_bps: 120 }).textContent,
        f({ type: 'STOP_LOSS', price: '0.00000000', stop_price: '61000.00', trailing_delta_bps: null }).textContent,
        f({ type: 'LIMIT', price: '64000.10', stop_price: null, trailing_delta_bps: null }).textContent,
        f({ type: 'MARKET', price: '0.00000000', stop_price: null, trailing_delta_bps: null }).textContent,
      ];
    });
    expect(cells).toEqual(['trailing 120 bps', 'stop 61000.00', '64000.10', 'market']);
    // No row's price column reads as a zero price.
    const priceCol = await page.$$eval('#open-orders tr, #recent-orders tr', (trs) => trs.map((tr) => tr.children[4]?.textContent ?? ''));
    expect(priceCol.filter((p) => /^0(\.0+)?$/.test(p))).toEqual([]);
  });

  it('lists every alert of the run by key with count, first and last seen, and shows the health signal tiles', async () => {
    bot.sup.raise('WS_STALE', 'gateway', { why: 'browser test', symbol: 'BTCUSDT' });
    bot.sup.clear('WS_STALE', 'gateway');
    await new Promise((r) => setTimeout(r, 50));
    bot.sup.raise('WS_STALE', 'gateway', { why: 'browser test again', symbol: 'BTCUSDT' });
    bot.sup.clear('WS_STALE', 'gateway');
    const row = page.locator('#alert-keys tr', { hasText: 'WS_STALE' });
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('#alert-keys tr')).some((tr) => tr.textContent?.includes('WS_STALE') && tr.children[4]?.textContent === '2'),
      undefined,
      { timeout: 30_000 },
    );
    const cells = await row.first().locator('td').allInnerTexts();
    expect(cells.slice(0, 5)).toEqual(['WARN', 'gateway', 'WS_STALE', 'BTCUSDT', '2']);
    const [first, last] = await row
      .first()
      .locator('td')
      .evaluateAll((tds) => [tds[5]!.getAttribute('title'), tds[6]!.getAttribute('title')]);
    expect(Date.parse(last!)).toBeGreaterThan(Date.parse(first!));
    expect(await page.locator('#alert-total').textContent()).toMatch(/^\(\d+ alerts, \d+ keys\)$/);

    // Health signals: one tile per signal the operations rules list, filled from the running bot.
    // (the engine's gate latency arrives with its next heartbeat, the page redraws every second)
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#signal-tiles .tile')).some(
          (t) => t.querySelector('.k')?.textContent === 'AIGATE_CALL mean' && / ms$/.test(t.querySelector('.v')?.textContent ?? ''),
        ),
      undefined,
      { timeout: 30_000 },
    );
    const tilesMap = Object.fromEntries(
      await page.$$eval('#signal-tiles .tile', (ts) => ts.map((t) => [t.querySelector('.k')?.textContent ?? '', t.querySelector('.v')?.textContent ?? ''])),
    );
    expect(Object.keys(tilesMap)).toEqual([
      'WS reconnects/min',
      'RATE_LIMIT',
      'REST_THROTTLED',
      'SENT_UNKNOWN',
      'writer queue',
      'writer lag',
      'AIGATE errors',
      'AIGATE_CALL mean',
      'AIGATE_CALL variance',
      'BLOCK EDGE_TOO_LOW',
      'BLOCK COST_TOO_HIGH',
      'quarantined',
      'FILTERS_REFRESHED',
    ]);
    expect(tilesMap['FILTERS_REFRESHED']).toMatch(/^[1-9]\d* · .+ ago$/);
    expect(tilesMap['SENT_UNKNOWN']).toBe('0');
    expect(tilesMap['quarantined']).toBe('0');
    expect(tilesMap['AIGATE_CALL mean']).toMatch(/^\d+ ms$/);
    expect(tilesMap['writer queue']).toMatch(/^\d+ \([\d.]+ %\)$/);
  });

  it('toasts a CRIT alert within 2 s; Ack hides it and sends nothing', async () => {
    const raisedAt = Date.now();
    bot.sup.raise('CLOCK_DRIFT', 'gateway', { drift_ms: 900 });
    const toast = page.locator('#toasts .toast', { hasText: 'CLOCK_DRIFT' });
    await toast.waitFor({ timeout: 2000 });
    console.log(`[measure] CRIT alert -> toast in ${Date.now() - raisedAt} ms`);
    await expect(page.locator('#alert-rows tr', { hasText: 'CLOCK_DRIFT' }).count()).resolves.toBeGreaterThan(0);
    await page.waitForFunction(() => document.getElementById('mode')?.textContent === 'PAUSE', undefined, { timeout: 30_000 });

    const before = methods.length;
    await toast.locator('button').click();
    await toast.waitFor({ state: 'detached', timeout: 2000 });
    // Ack is browser-only: no request at all was caused by it, and none of any kind wrote anything.
    expect(methods.slice(before).filter((m) => !m.startsWith('GET '))).toEqual([]);
    expect(methods.filter((m) => !m.startsWith('GET '))).toEqual([]);
    expect(methods.length).toBeGreaterThan(10);
    // It stays acked across a reload.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('mode')?.textContent === 'PAUSE', undefined, { timeout: 30_000 });
    await page.waitForFunction(() => (document.getElementById('alert-rows')?.children.length ?? 0) > 1, undefined, { timeout: 30_000 });
    expect(await page.locator('#toasts .toast', { hasText: 'CLOCK_DRIFT' }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}panel-paused.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
