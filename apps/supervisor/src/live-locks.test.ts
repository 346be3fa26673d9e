import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@vigil/runtime';
import { checkLiveLocks } from './live-locks.js';

function cfg(raw: object = {}, env: { MODE?: string; AI_DEC?: string } = {}) {
  const r = parseConfig(raw, env);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.config;
}

describe('checkLiveLocks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'locks-'));
  writeFileSync(join(dir, 'LIVE.ok'), '');

  it('passes when every lock holds', () => {
    expect(checkLiveLocks(cfg(), { live: true }, dir)).toEqual({ ok: true });
  });
  it.each([
    [{}, { MODE: 'PAPER' }, true, 'MODE_NOT_LIVE', 'MODE'],
    [{}, { AI_DEC: '1' }, true, 'AI_DEC_NOT_2', 'AI_DEC'],
    [{}, {}, false, 'LIVE_FLAG_MISSING', '--live'],
    [{ live: { live_lock_file: 'ABSENT.ok' } }, {}, true, 'LIVE_LOCK_FILE_MISSING', 'LIVE.ok'],
  ])('refuses %j %j live=%s with %s naming %s', (raw, env, live, code, lock) => {
    const r = checkLiveLocks(cfg(raw, env), { live }, dir);
    expect(r).toMatchObject({ ok: false, code, lock });
  });
  it('does not require the lock file when it is disabled', () => {
    expect(checkLiveLocks(cfg({ live: { live_lock_file_enabled: false, live_lock_file: 'ABSENT.ok' } }), { live: true }, dir)).toEqual({ ok: true });
  });
});

describe('checkLiveLocks: the lock file must be a regular file', () => {
  it.each([
    ['a directory', (p: string) => mkdirSync(p)],
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ['a symlink to a directory', (p: string) => symlinkSync(tmpdir(), p)],
  ])('refuses LIVE.ok that is %s (LIVE_LOCK_FILE_MISSING, says not a regular file)', (_what, make) => {
    const d = mkdtempSync(join(tmpdir(), 'locks-'));
    make(join(d, 'LIVE.ok'));
    const r = checkLiveLocks(cfg(), { live: true }, d);
    expect(r).toMatchObject({ ok: false, code: 'LIVE_LOCK_FILE_MISSING', lock: 'LIVE.ok' });
    if (!r.ok) expect(r.message).toMatch(/not a regular file/);
  });

  it('accepts a symlink to a regular file', () => {
    const d = mkdtempSync(join(tmpdir(), 'locks-'));
    writeFileSync(join(d, 'real'), '');
    symlinkSync(join(d, 'real'), join(d, 'LIVE.ok'));
    expect(checkLiveLocks(cfg(), { live: true }, d)).toEqual({ ok: true });
  });
});
