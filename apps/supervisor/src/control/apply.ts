import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { REASON_CODES, type ActiveReason, type EventEnvelope } from '@vigil/contracts';
import { planResume } from '@vigil/core';
import type { Supervisor } from '../supervisor.js';
import type { ControlReply, ControlRequest, ReasonRef } from './protocol.js';

/** The reason key of the operator's own PAUSE. */
export const OPERATOR_SOURCE = 'operator';

export function killSwitchFile(sup: Supervisor, varDir: string): string {
  const f = sup.config.risk.kill_switch_file;
  return isAbsolute(f) ? f : join(varDir, f);
}

export const ref = (r: ActiveReason): ReasonRef => ({
  code: r.code,
  source: r.source,
  forces: REASON_CODES[r.code].forces,
  summary: REASON_CODES[r.code].summary,
});

/**
 * Applies an operator command through the mode authority and audits it through the audit writer.
 * The reply leaves only after the OPERATOR_* event is committed (critical write).
 * - pause: PAUSE is raised first (stricter modes never wait for a disk), then committed.
 * - resume: committed first, then the reasons are cleared: a resume that is not durable does not happen.
 * - note: committed; nothing else changes.
 */
export async function applyControl(sup: Supervisor, req: ControlRequest, varDir: string): Promise<ControlReply> {
  const commit = async (ev: EventEnvelope): Promise<number | string> => {
    try {
      return (await sup.audit.appendCritical([ev])).last_seq;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const failed = (why: string, applied: string): ControlReply => ({
    v: 1,
    id: req.id,
    ok: false,
    code: 'AUDIT_WRITE_FAILED',
    message: `not durable (${why}); ${applied}`,
  });
  const done = (auditSeq: number, cleared: readonly ActiveReason[]): ControlReply => ({
    v: 1,
    id: req.id,
    ok: true,
    cmd: req.cmd,
    mode: sup.authority.current,
    audit_seq: auditSeq,
    cleared: cleared.map(ref),
    holding: sup.authority
      .reasons()
      .filter((r) => REASON_CODES[r.code].forces !== 'NONE')
      .map((r) => ({ ...ref(r), why: REASON_CODES[r.code].clear === 'manual' ? 'manual' : 'clears itself when its condition is gone' })),
  });

  switch (req.cmd) {
    case 'pause': {
      sup.raise('OPERATOR_PAUSE', OPERATOR_SOURCE, { reason: req.reason });
      const seq = await commit(sup.events.make('OPERATOR_PAUSED', { reason: req.reason, via: 'control_socket' }, { reason: 'OPERATOR_PAUSE' }));
      return typeof seq === 'number' ? done(seq, []) : failed(seq, 'the PAUSE is applied but not recorded: it will not survive a restart');
    }
    case 'note': {
      const seq = await commit(sup.events.make('OPERATOR_NOTE', { text: req.text, via: 'control_socket', mode: sup.authority.current }));
      return typeof seq === 'number' ? done(seq, []) : failed(seq, 'the note was not recorded');
    }
    case 'resume': {
      const plan = planResume(sup.authority.reasons(), { nowMs: Date.now(), killFilePresent: existsSync(killSwitchFile(sup, varDir)) });
      if (!plan.ok) {
        const blocking = plan.blocking.map(ref);
        await commit(
          sup.events.make('OPERATOR_COMMAND_REFUSED', {
            cmd: 'resume',
            note: req.note,
            via: 'control_socket',
            blocking: blocking.map((b) => `${b.code}@${b.source}`),
          }),
        );
        return {
          v: 1,
          id: req.id,
          ok: false,
          code: 'RESUME_REFUSED',
          message: 'automatic reasons are active: they clear themselves when their condition is gone',
          blocking,
        };
      }
      const seq = await commit(
        sup.events.make('OPERATOR_RESUMED', {
          note: req.note,
          via: 'control_socket',
          cleared: plan.clear.map((r) => `${r.code}@${r.source}`),
          kept: plan.kept.map((k) => `${k.reason.code}@${k.reason.source}: ${k.why}`),
        }),
      );
      if (typeof seq !== 'number') return failed(seq, 'nothing was cleared');
      for (const r of plan.clear) sup.clear(r.code, r.source, 'operator');
      const reply = done(seq, plan.clear);
      if (!reply.ok) return reply;
      const why = new Map(plan.kept.map((k) => [`${k.reason.code}@${k.reason.source}`, k.why]));
      return { ...reply, holding: reply.holding.map((h) => ({ ...h, why: why.get(`${h.code}@${h.source}`) ?? h.why })) };
    }
  }
}
