/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPanel, type PanelServer } from '../../apps/supervisor/src/panel/server.js';
import { supervisorPanelSource } from '../../apps/supervisor/src/status.js';
import { startSupervisor } from '../integration/harness.js';

/**
 * The dashboard in headless Chromium (Debian's package) against a real bot on the simulator.
 * CI installs /usr/bin/chromium; without it the browser tests are skipped, not passed.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

let browser: Browser;
let panel: PanelServer;
let bot: Awaited<ReturnType<typeof startSupervisor>>;

describe.skipIf(!existsSync(CHROMIUM))('dashboard in Chromium', () => {
  beforeAll(async () => {
    // Production heartbeat timings: a browser starting beside the bot must not look like a stall.
    bot = await startSupervisor({ supervisor: { heartbeat_interval_ms: 250, worker_stall_timeout_ms: 450, mode_broadcast_interval_ms: 250, worker_mode_timeout_ms: 1500 } });
    panel = await startPanel(supervisorPanelSource(bot.sup, bot.runId, bot.varDir), '127.0.0.1', 0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await panel?.close();
    await bot?.stop();
  });

  it('shows the seven sections in order, live; a CRIT alert toasts within 2 s; Ack hides it without writing anything', async () => {
    const page = await browser.newPage();
    const methods: string[] = [];
    page.on('request', (r) => methods.push(`${r.method()} ${new URL(r.url()).pathname}`));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${panel.url}/dashboard`);
    await page.waitForFunction(() => document.getElementById('mode')?.textContent === 'PAUSE', undefined, { timeout: 5000 });
    const order = await page.$$eval('main > section', (els) => els.map((e) => Number(e.getAttribute('data-order'))));
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await page.waitForFunction(() => (document.getElementById('stage-rows')?.children.length ?? 0) > 0, undefined, { timeout: 5000 });

    const raisedAt = Date.now();
    bot.sup.raise('CLOCK_DRIFT', 'gateway', { drift_ms: 900 });
    const toast = page.locator('#toasts .toast', { hasText: 'CLOCK_DRIFT' });
    await toast.waitFor({ timeout: 2000 });
    console.log(`[measure] CRIT alert -> toast in ${Date.now() - raisedAt} ms`);
    await expect(page.locator('#alert-rows tr', { hasText: 'CLOCK_DRIFT' }).count()).resolves.toBeGreaterThan(0);

    const before = methods.length;
    await toast.locator('button').click();
    await toast.waitFor({ state: 'detached', timeout: 2000 });
    // Ack is browser-only: no request at all was caused by it, and none of any kind wrote anything.
    expect(methods.slice(before).filter((m) => !m.startsWith('GET '))).toEqual([]);
    expect(methods.filter((m) => !m.startsWith('GET '))).toEqual([]);
    // It stays acked across a reload.
    await page.reload();
    await page.waitForFunction(() => document.getElementById('mode')?.textContent === 'PAUSE', undefined, { timeout: 5000 });
    await page.waitForTimeout(1500);
    expect(await page.locator('#toasts .toast', { hasText: 'CLOCK_DRIFT' }).count()).toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}panel.png`, fullPage: true });
    expect(errors).toEqual([]);
    // Nothing died or stalled while the page was being driven.
    expect(bot.sup.modeState.reasons.map((r) => r.code).filter((c) => c.startsWith('WORKER_'))).toEqual([]);
    await page.close();
  });
});
