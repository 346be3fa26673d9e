import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { checkDatabaseFileMirror, verifyAuditSetInThread, type MirrorCheck } from '@vigil/audit';
import { canonicalJson, newRunId, type JsonObject } from '@vigil/contracts';
import { redactString } from '@vigil/core';
import { createLogger, formatConfigError, loadConfigFile, loadExchangeSecrets } from '@vigil/runtime';
import { checkLiveLocks } from './live-locks.js';
import { preStartConfigCheck } from './prestart.js';
import { takeRunLock } from './run-lock.js';
import { applyControl } from './control/apply.js';
import { controlSocketPath, startControlServer, type ControlServer } from './control/server.js';
import { startPanel, type PanelServer } from './panel/server.js';
import { supervisorPanelSource } from './status.js';
import { Supervisor } from './supervisor.js';

export const EXIT = { OK: 0, FAILURE: 1, NOT_BUILT: 2, LOCK_REFUSED: 3, USAGE: 64, CONFIG_INVALID: 78 } as const;

export interface StartFlags {
  readonly live: boolean;
  readonly config?: string | undefined;
}

/**
 * `supervisor start --live`: config, then the Live locks, then secrets; only then any thread.
 * Each refusal names what failed and exits non-zero with nothing started.
 */
export async function startCommand(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const configPath = flags.config ?? env['VIGIL_CONFIG'] ?? null;
  const loaded = loadConfigFile(configPath, { MODE: env['MODE'], AI_DEC: env['AI_DEC'] });
  if (!loaded.ok) {
    process.stderr.write(`supervisor: refusing to start: ${formatConfigError(loaded.error)}\n`);
    return EXIT.CONFIG_INVALID;
  }
  const config = loaded.config;
  const pre = preStartConfigCheck(config);
  if (pre !== null) {
    process.stderr.write(`supervisor: refusing to start: ${formatConfigError(pre)}\n`);
    return EXIT.CONFIG_INVALID;
  }
  const varDir = resolve(config.paths.var_dir);
  const lock = checkLiveLocks(config, flags, varDir);
  if (!lock.ok) {
    process.stderr.write(`supervisor: refusing to start: live lock "${lock.lock}" failed (${lock.code}): ${lock.message}\n`);
    return EXIT.LOCK_REFUSED;
  }
  const secrets = loadExchangeSecrets(resolve(varDir, config.live.secrets_file), env);
  if (!secrets.ok) {
    process.stderr.write(`supervisor: refusing to start: ${secrets.code}: ${secrets.message}\n`);
    return EXIT.LOCK_REFUSED;
  }
  for (const d of ['data', 'jsonl', 'log', 'backup']) mkdirSync(join(varDir, d), { recursive: true });
  // One supervisor per var/: a second would be a second writer of the audit and a second trader.
  const runLock = takeRunLock(varDir);
  if (!runLock.ok) {
    process.stderr.write(`supervisor: refusing to start: ${runLock.message}\n`);
    return EXIT.LOCK_REFUSED;
  }
  const runId = newRunId();
  const log = createLogger({ thread: 'supervisor', logDir: join(varDir, 'log'), config: config.logging });
  const configHash = createHash('sha256').update(canonicalJson(config)).digest('hex');
  const sup = new Supervisor({ config, varDir, runId, secrets: secrets.secrets, log, versions: versions(), configHash });

  let panel: PanelServer | null = null;
  let control: ControlServer | null = null;
  const source = supervisorPanelSource(sup, runId, varDir);
  let stopping: Promise<void> | null = null;
  const stop = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      log.info(`stopping: ${why}`);
      // Operator commands end before the workers stop: a command is applied to a live supervisor or not at all.
      await control?.close();
      await sup.stop(why);
      await panel?.close();
      source.close();
      runLock.release();
      log.info('stopped');
    })());
  const done = new Promise<number>((resolveDone) => {
    // `on`, not `once`: a second Ctrl-C (or the same signal sent to the whole process group and
    // forwarded by a wrapper) must not kill the process in the middle of its orderly shutdown.
    const onSignal = (sig: NodeJS.Signals): void => {
      if (stopping) {
        log.warn(`${sig} again: shutdown already in progress`);
        return;
      }
      void stop(sig).then(() => resolveDone(EXIT.OK));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    log.info(`run ${runId} starting (config ${configPath ?? 'defaults'}, var ${varDir}, exchange ${redactString(config.exchange.rest_base_url)})`);
    await sup.start();
    control = await startControlServer({
      path: controlSocketPath(varDir),
      apply: (req) => applyControl(sup, req, varDir),
      onReject: (r) => sup.channelRejected(r),
      onError: (e) => log.error(`control socket: ${e.message}`),
    });
    panel = await startPanel(source, config.panel.host, config.panel.port);
    process.stdout.write(`\nVigil is running (run ${runId}). Panel: ${panel.url}/dashboard  (Ctrl-C stops it)\n\n`);
  } catch (e) {
    log.error(`start failed: ${(e as Error).stack ?? String(e)}`);
    await stop('start failed');
    return EXIT.FAILURE;
  }
  return done;
}

function versions(): JsonObject {
  let app = 'unknown';
  try {
    // By the package's name: this runs from dist/start.js and from the CLI's bundle (dist/bin/).
    app = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@vigil/supervisor/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* version is informative only */
  }
  // glibc's malloc arena bound (read once, at process start): part of how much memory the run keeps
  // after load bursts (docs/SOAK.md); recorded so an audit shows what the process ran with.
  return { app, node: process.version, protocol: 1, malloc_arena_max: process.env['MALLOC_ARENA_MAX'] ?? null };
}

/** `supervisor verify-audit`: the tamper-evidence check, read-only, usable while the bot runs. */
export async function verifyAuditCommand(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Only paths matter here: MODE/AI_DEC overrides are irrelevant to a read-only check.
  const loaded = loadConfigFile(configPath ?? env['VIGIL_CONFIG'] ?? null, {});
  if (!loaded.ok) {
    process.stderr.write(`supervisor: ${formatConfigError(loaded.error)}\n`);
    return EXIT.CONFIG_INVALID;
  }
  const file = join(resolve(loaded.config.paths.var_dir), 'data', 'audit.sqlite');
  const archiveDir = join(resolve(loaded.config.paths.var_dir), 'data', 'archive');
  // Archives and live database as one chain: a tampered or missing archive fails too. Walked on a
  // thread of its own while this one reads the JSONL mirror; the chain's verdict comes first.
  const chain = verifyAuditSetInThread(file, archiveDir);
  try {
    let m: MirrorCheck | null = null;
    let mirrorFailed: unknown = null;
    try {
      m = checkDatabaseFileMirror(file, join(resolve(loaded.config.paths.var_dir), 'jsonl'));
    } catch (e) {
      // Reported after the chain's verdict, which comes first when it has one.
      mirrorFailed = e;
    }
    const v = await chain;
    if (v.ok) {
      if (mirrorFailed !== null) throw mirrorFailed;
      const archived =
        v.archives.length === 0
          ? ''
          : ` (continuing ${v.archivedRows} archived events in ${v.archives.length} archive file(s) under ${archiveDir}, anchored at seq ${v.anchor?.seq ?? '-'})`;
      // The chain holds; a row rewritten and re-chained in the database alone still differs from
      // the JSONL line written at its commit.
      if (m?.mismatch) {
        const x = m.mismatch;
        process.stdout.write(
          `AUDIT_MIRROR_MISMATCH: seq ${x.seq} (event ${x.event_id}) in ${file} differs from its JSONL line in ${x.file}: mirror hash ${x.mirror.join(' or ')}, database hash ${x.database}\n`,
        );
        return EXIT.FAILURE;
      }
      const mirrored = m === null || m.files === 0 ? '; JSONL mirror absent, not compared' : `; JSONL mirror: ${m.compared} of ${m.rows} events compared`;
      process.stdout.write(`audit chain OK: ${v.rows} events verified in ${file}${archived}${mirrored}\n`);
      return EXIT.OK;
    }
    process.stdout.write(`AUDIT_CHAIN_BROKEN: ${v.reason} at seq ${v.firstBadSeq} in ${v.file} (${v.detail})\n`);
    return EXIT.FAILURE;
  } catch (e) {
    process.stderr.write(`supervisor: cannot verify ${file}: ${(e as Error).message}\n`);
    return EXIT.FAILURE;
  } finally {
    // Never a thread left running (or a rejection unobserved) past the answer.
    await chain.then(
      () => undefined,
      () => undefined,
    );
  }
}
