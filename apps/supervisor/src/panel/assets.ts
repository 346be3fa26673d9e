import { readFileSync } from 'node:fs';

/**
 * The dashboard's files, served from the process itself (no CDN: the panel must work offline) and
 * read once at load. They live in apps/supervisor/static/ (the same relative path from src/panel
 * and dist/panel). No inline script or style anywhere: the CSP forbids both.
 */
const file = (name: string): string => readFileSync(new URL(`../../static/${name}`, import.meta.url), 'utf8');

export const DASHBOARD_HTML = file('dashboard.html');

export const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: string }>> = {
  'dashboard.js': { type: 'text/javascript; charset=utf-8', body: file('dashboard.js') },
  'charts.js': { type: 'text/javascript; charset=utf-8', body: file('charts.js') },
  'dashboard.css': { type: 'text/css; charset=utf-8', body: file('dashboard.css') },
};
