import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { archiveOldDays, AuditWriter, backupDatabase, finishBackup, rowHash } from '@vigil/audit';
import { canonicalJson, type EventEnvelope, type EventType, type JsonObject, envelopeOf } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import { takeRunLock } from '../../apps/supervisor/src/run-lock.js';

/**
 * `supervisor restore` and `supervisor verify-audit` as an operator runs them (the built CLI, a
 * real var/ with a real audit database, backup and archives).
 */
const cli = fileURLToPath(new URL('../../apps/supervisor/bin/supervisor.mjs', import.meta.url));

async function run(args: string[]) {
  return execa(process.execPath, [cli, ...args], { env: { VIGIL_CONFIG: undefined }, extendEnv: true, reject: false, timeout: 30_000 });
}

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-restore-'));
  const varDir = join(dir, 'var');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ paths: { var_dir: varDir } }));
  const r = parseConfig({ audit: { synchronous: 'NORMAL' } });
  if (!r.ok) throw new Error('config');
  const clock = { now: Date.UTC(2026, 0, 1, 10) };
  const writer = new AuditWriter({
    dbFile: join(varDir, 'data', 'audit.sqlite'),
    jsonlDir: join(varDir, 'jsonl'),
    config: r.config.audit,
    now: () => clock.now,
    setReason: () => {},
  });
  writer.open();
  const ev = (payload: JsonObject, type: EventType = 'HEALTH_SAMPLED'): EventEnvelope =>
    envelopeOf({ ts_ms: clock.now, run_id: 'run_r', source: 'engine', event_type: type, payload });
  const write = (...evs: EventEnvelope[]): void => {
    writer.enqueue(evs);
    writer.drainAll();
  };
  return { dir, varDir, configFile, writer, ev, write, clock, dbFile: join(varDir, 'data', 'audit.sqlite') };
}

const rows = (file: string, sql: string): Record<string, unknown>[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
};

describe('supervisor restore (CLI, end to end)', () => {
  it('refuses while the bot runs, refuses a backup that does not verify, and otherwise moves the current database aside, installs the verified backup and records AUDIT_RESTORED', async () => {
    const s = sandbox();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }), s.ev({ n: 3 }));
    const b = await backupDatabase(s.writer.connection!, join(s.varDir, 'backup'), s.clock.now);
    finishBackup(b);
    s.write(s.ev({ n: 4, after_backup: true }));
    s.writer.close();
    const liveBytes = readFileSync(s.dbFile);

    // 1. The bot runs (this process holds the run lock): nothing is touched.
    const lock = takeRunLock(s.varDir);
    if (!lock.ok) throw new Error('lock');
    const refused = await run(['restore', '--from', b.file, '--var', s.varDir]);
    lock.release();
    expect(refused.exitCode, refused.stderr).toBe(3);
    expect(refused.stderr).toContain('a supervisor is running');
    expect(readFileSync(s.dbFile).equals(liveBytes)).toBe(true);

    // 2. A tampered backup: refused before anything moves.
    const bad = join(s.dir, 'tampered.sqlite');
    (await import('node:fs')).copyFileSync(b.file, bad);
    const t = new Database(bad);
    t.prepare('UPDATE events SET payload = \'{"n":7}\' WHERE seq = 2').run();
    t.close();
    const badRun = await run(['restore', '--from', bad, '--var', s.varDir]);
    expect(badRun.exitCode).toBe(1);
    expect(badRun.stderr).toContain('CHAIN_BROKEN');
    expect(readFileSync(s.dbFile).equals(liveBytes)).toBe(true);
    expect(readdirSync(join(s.varDir, 'data')).filter((n) => n.includes('restoring') || n.includes('before-restore'))).toEqual([]);

    // 3. The good backup, located through the configuration's var_dir.
    const ok = await run(['restore', '--from', b.file, '--config', s.configFile]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('hash chain ok (3 events');
    const aside = readdirSync(join(s.varDir, 'data')).filter((n) => n.startsWith('audit.sqlite.before-restore-'));
    expect(aside.filter((n) => !n.endsWith('-wal') && !n.endsWith('-shm'))).toHaveLength(1);
    expect(ok.stdout).toContain(
      `moved aside: ${join(
        s.varDir,
        'data',
        aside.find((n) => !n.includes('-wal') && !n.includes('-shm'))!,
      )}`,
    );
    // The old database is intact beside it, with the event the backup lacks.
    expect(
      rows(
        join(
          s.varDir,
          'data',
          aside.find((n) => !n.endsWith('-wal') && !n.endsWith('-shm'))!,
        ),
        'SELECT count(*) AS n FROM events',
      ),
    ).toEqual([{ n: 4 }]);
    const restored = rows(s.dbFile, 'SELECT seq, event_type, payload FROM events ORDER BY seq');
    expect(restored.map((r) => r['event_type'])).toEqual(['HEALTH_SAMPLED', 'HEALTH_SAMPLED', 'HEALTH_SAMPLED', 'AUDIT_RESTORED']);
    expect(JSON.parse(restored[3]!['payload'] as string)).toMatchObject({ backup: b.file.split('/').at(-1), backup_events: 3, backup_last_seq: 3, via: 'cli' });
    expect(ok.stdout).toContain('AUDIT_RESTORED recorded at seq 4');
    const v = await run(['verify-audit', '--config', s.configFile]);
    expect(v.exitCode, v.stdout).toBe(0);
    // seq 4 has two JSONL lines now (the abandoned timeline's and AUDIT_RESTORED's): one matches.
    expect(v.stdout).toContain('; JSONL mirror: 4 of 4 events compared');
    expect(existsSync(`${b.file}`)).toBe(true);
  });

  it('verify-audit fails with AUDIT_MIRROR_MISMATCH on a row rewritten and re-chained in the database alone (its JSONL line differs)', async () => {
    const s = sandbox();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }), s.ev({ n: 3 }));
    s.writer.close();
    const ok = await run(['verify-audit', '--config', s.configFile]);
    expect(ok.exitCode, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('; JSONL mirror: 3 of 3 events compared');
    // The last row's payload changed and its hash recomputed: the chain still verifies.
    const db = new Database(s.dbFile);
    const r = db.prepare('SELECT * FROM events WHERE seq = 3').get() as Record<string, unknown>;
    const payload = canonicalJson({ n: 30 });
    const hash = rowHash({ ...r, payload });
    db.prepare('UPDATE events SET payload = ?, hash = ? WHERE seq = 3').run(payload, hash);
    db.close();
    const bad = await run(['verify-audit', '--config', s.configFile]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(
      new RegExp(
        `^AUDIT_MIRROR_MISMATCH: seq 3 \\(event ${r['event_id'] as string}\\) in .* differs from its JSONL line in .*: mirror hash ${r['hash'] as string}, database hash ${hash}$`,
      ),
    );
  });

  it('verify-audit names a broken chain (AUDIT_CHAIN_BROKEN, exit 1) also when the JSONL mirror cannot be read; with the chain intact, the unreadable mirror fails the check (exit 1)', async () => {
    const s = sandbox();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }), s.ev({ n: 3 }));
    s.writer.close();
    // The day's file replaced by a directory of that name: reading it fails (EISDIR).
    const jsonl = join(s.varDir, 'jsonl');
    for (const f of readdirSync(jsonl)) {
      rmSync(join(jsonl, f));
      mkdirSync(join(jsonl, f));
    }
    const unreadable = await run(['verify-audit', '--config', s.configFile]);
    expect(unreadable.exitCode).toBe(1);
    expect(unreadable.stderr).toMatch(/cannot verify .*EISDIR/);
    const db = new Database(s.dbFile);
    db.prepare('UPDATE events SET payload = ? WHERE seq = 2').run(canonicalJson({ n: 20 }));
    db.close();
    const broken = await run(['verify-audit', '--config', s.configFile]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toContain('AUDIT_CHAIN_BROKEN: HASH_MISMATCH at seq 2');
  });

  it('verify-audit walks the archives and the live database as one chain and fails on a tampered archive', async () => {
    const s = sandbox();
    for (let day = 0; day < 50; day++) {
      s.clock.now = Date.UTC(2026, 0, 1, 10) + day * 86_400_000;
      s.write(s.ev({ day }), s.ev({ day, i: 2 }));
    }
    const archiveDir = join(s.varDir, 'data', 'archive');
    const r = await archiveOldDays(s.writer.connection!, { archiveDir, nowMs: s.clock.now, retentionDays: 35, batchRows: 7, pause: async () => {} });
    expect(r.archived).toHaveLength(14);
    s.writer.close();
    const v = await run(['verify-audit', '--config', s.configFile]);
    expect(v.exitCode, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/audit chain OK: 72 events verified .* \(continuing 28 archived events in 1 archive file\(s\)/);
    const a = new Database(join(archiveDir, 'audit-2026-01.sqlite'));
    a.prepare('DELETE FROM events WHERE seq = 5').run();
    a.close();
    const broken = await run(['verify-audit', '--config', s.configFile]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toContain('AUDIT_CHAIN_BROKEN: SEQ_GAP at seq 6');
  });
});
