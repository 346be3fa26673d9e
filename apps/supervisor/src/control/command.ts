import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditReader, AuditWriter } from '@vigil/audit';
import { newRunId, type CommitAck, type Config, type EventEnvelope, type ReasonCode } from '@vigil/contracts';
import { BOOT_REASONS, Dec } from '@vigil/core';
import { EventFactory, formatConfigError, loadConfigFile } from '@vigil/runtime';
import { liveSupervisorPid, takeRunLock } from '../run-lock.js';
import { ControlConnectError, sendControl } from './client.js';
import { makeRequest, textProblem, type ControlCommand, type ControlReply, type ControlRequest } from './protocol.js';
import { controlSocketPath } from './server.js';

export const OP_EXIT = { OK: 0, FAILED: 1, STILL_HELD: 4, CONFIG_INVALID: 78 } as const;

/** How long the CLI waits for a supervisor that holds the run lock to open its control socket (it may be starting). */
const SOCKET_WAIT_MS = 15_000;

interface Out {
  out(line: string): void;
  err(line: string): void;
}
const STD: Out = { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) };

/**
 * `supervisor pause|resume|note`: to the running supervisor over var/run/control.sock, or, while
 * no supervisor runs on this var/, straight into the audit database under the run lock (so no
 * supervisor starts meanwhile), through the audit writer's own code (the hash chain continues).
 */
export async function operatorCommand(
  cmd: ControlCommand,
  text: string,
  configPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  io: Out = STD,
): Promise<number> {
  const field = cmd === 'pause' ? '--reason' : cmd === 'resume' ? '--note' : 'text';
  const problem = textProblem(field, text);
  if (problem) {
    io.err(`supervisor ${cmd}: ${problem}`);
    return OP_EXIT.FAILED;
  }
  const loaded = loadConfigFile(configPath ?? env['VIGIL_CONFIG'] ?? null, {});
  if (!loaded.ok) {
    io.err(`supervisor: ${formatConfigError(loaded.error)}`);
    return OP_EXIT.CONFIG_INVALID;
  }
  const config = loaded.config;
  const varDir = resolve(config.paths.var_dir);
  const req = makeRequest(cmd, `op_${Date.now().toString(36)}_${process.pid}`, text);
  const deadline = Date.now() + SOCKET_WAIT_MS;
  for (;;) {
    const pid = liveSupervisorPid(varDir);
    if (pid !== null) {
      try {
        // The supervisor answers after its critical audit write; its own request bound plus slack.
        const reply = await sendControl(controlSocketPath(varDir), req, config.supervisor.request_timeout_ms * 2 + 5000);
        return report(req, reply, io);
      } catch (e) {
        const c = e instanceof ControlConnectError ? e.code : 'ERROR';
        // Not connected: the supervisor may still be starting (lock taken, socket not yet open).
        if (['ENOENT', 'ECONNREFUSED', 'CONNECT_FAILED'].includes(c) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        // Connected and no answer: whether it was applied is unknown; never sent twice.
        io.err(
          `supervisor ${cmd}: the supervisor (pid ${pid}) did not answer on ${controlSocketPath(varDir)} (${c}: ${(e as Error).message}); check the panel or the audit before repeating`,
        );
        return OP_EXIT.FAILED;
      }
    }
    const lock = takeRunLock(varDir);
    if (!lock.ok && lock.pid === null) {
      io.err(`supervisor ${cmd}: ${lock.message}`);
      return OP_EXIT.FAILED;
    }
    if (!lock.ok) continue; // a supervisor started meanwhile: talk to it
    try {
      return offline(config, varDir, req, io);
    } finally {
      lock.release();
    }
  }
}

function report(req: ControlRequest, r: ControlReply, io: Out): number {
  if (!r.ok) {
    if (r.code === 'RESUME_REFUSED') {
      io.err(`supervisor resume: refused: ${r.message}:`);
      for (const b of r.blocking ?? []) io.err(`${b.code}@${b.source} forces ${b.forces}: ${b.summary}`);
    } else {
      io.err(`supervisor ${req.cmd}: refused: ${r.code}: ${r.message}`);
    }
    return OP_EXIT.FAILED;
  }
  const held = r.holding.filter((h) => !BOOT_REASONS.includes(h.code) && h.code !== 'OPERATOR_PAUSE');
  switch (req.cmd) {
    case 'pause':
      io.out(`paused: OPERATOR_PAUSE raised, mode ${r.mode}; recorded at audit seq ${r.audit_seq} (held until supervisor resume, also across restarts)`);
      return OP_EXIT.OK;
    case 'note':
      io.out(`note recorded at audit seq ${r.audit_seq} (mode ${r.mode})`);
      return OP_EXIT.OK;
    case 'resume':
      io.out(
        `resumed: recorded at audit seq ${r.audit_seq}; cleared ${r.cleared.length ? r.cleared.map((c) => `${c.code}@${c.source}`).join(', ') : 'nothing'}; mode ${r.mode}`,
      );
      for (const h of r.holding.filter((x) => BOOT_REASONS.includes(x.code))) io.out(`still starting/stabilizing: ${h.code}@${h.source} (${h.summary})`);
      if (held.length === 0) return OP_EXIT.OK;
      for (const h of held) io.err(`still held: ${h.code}@${h.source} forces ${h.forces}: ${h.why}`);
      return OP_EXIT.STILL_HELD;
  }
}

/** Records the command in the audit database of a stopped bot. The caller holds the run lock. */
function offline(config: Config, varDir: string, req: ControlRequest, io: Out): number {
  const dbFile = join(varDir, 'data', 'audit.sqlite');
  mkdirSync(join(varDir, 'data'), { recursive: true });
  mkdirSync(join(varDir, 'jsonl'), { recursive: true });
  const raised: ReasonCode[] = [];
  const writer = new AuditWriter({
    dbFile,
    jsonlDir: join(varDir, 'jsonl'),
    config: config.audit,
    now: Date.now,
    setReason: (code, on) => void (on && raised.push(code)),
  });
  const events = new EventFactory(newRunId(), 'supervisor');
  let ack: CommitAck | null = null;
  let failure: string | null = null;
  let standing: { reason: string } | null = null;
  let today: { realized: string } | null = null;
  try {
    writer.open();
    const reader = new AuditReader(dbFile);
    try {
      standing = reader.operatorPause();
      today = reader.dayPnl();
    } finally {
      reader.close();
    }
    let ev: EventEnvelope;
    switch (req.cmd) {
      case 'pause':
        ev = events.make('OPERATOR_PAUSED', { reason: req.reason, via: 'offline' }, { reason: 'OPERATOR_PAUSE' });
        break;
      case 'resume':
        ev = events.make('OPERATOR_RESUMED', { note: req.note, via: 'offline', cleared: standing ? ['OPERATOR_PAUSE@operator'] : [], kept: [] });
        break;
      case 'note':
        ev = events.make('OPERATOR_NOTE', { text: req.text, via: 'offline', mode: 'STOPPED' });
        break;
    }
    writer.enqueue([ev], { resolve: (a) => void (ack = a), reject: (e) => void (failure = e.message) });
    writer.drainAll();
  } catch (e) {
    failure = (e as Error).message;
  } finally {
    writer.close();
  }
  const committed = ack as CommitAck | null;
  if (committed === null) {
    io.err(`supervisor ${req.cmd}: not recorded in ${dbFile}: ${failure ?? (raised.join(', ') || 'the audit writer did not commit')}`);
    return OP_EXIT.FAILED;
  }
  const at = `recorded in ${dbFile} at seq ${committed.last_seq} (no supervisor running)`;
  switch (req.cmd) {
    case 'pause':
      io.out(`paused: ${at}; the next start stays in PAUSE (OPERATOR_PAUSE) until supervisor resume`);
      return OP_EXIT.OK;
    case 'note':
      io.out(`note ${at}`);
      return OP_EXIT.OK;
    case 'resume': {
      io.out(`resumed: ${at}; ${standing ? `the operator pause ("${standing.reason}") is lifted for the next start` : 'no operator pause was standing'}`);
      const limit = new Dec(config.risk.daily_loss_limit_quote);
      const t = today as { realized: string } | null;
      if (t && new Dec(t.realized).neg().gte(limit)) {
        io.err(`still held at the next start: RISK_DAILY_LOSS_LIMIT_HIT (realized ${t.realized} today, limit ${limit.toFixed()}) until the next UTC day`);
        return OP_EXIT.STILL_HELD;
      }
      return OP_EXIT.OK;
    }
  }
}
