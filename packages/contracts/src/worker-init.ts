import type { Config } from './config.js';
import type { MessagePort } from 'node:worker_threads';
import type { WorkerName } from './modes.js';
import type { PortName } from './messages/control.js';

/**
 * What a worker receives at start (workerData). The MessagePorts travel in the transfer list;
 * which ports a worker gets depends on its role.
 */
export interface WorkerInit {
  readonly worker: WorkerName;
  readonly run_id: string;
  readonly config: Config;
  /** Absolute var/ directory, resolved by the supervisor. */
  readonly var_dir: string;
  readonly protocol_version: number;
  readonly control: MessagePort;
  /** Initial ports by role; the audit writer gets one `audit_producer` port per producer. */
  readonly ports: readonly { readonly name: PortName; readonly port: MessagePort }[];
  /** Exchange credentials: the gateway's only, never logged or audited. */
  readonly secrets: { readonly api_key: string; readonly api_secret: string } | null;
  /** Gateway only: the symbol quarantines standing in the audit when it starts; it starts with them held. */
  readonly quarantines?: readonly StandingQuarantine[];
}

/** Why a symbol was quarantined (the gateway's order desk). */
export type QuarantineCause =
  | { readonly kind: 'FILTER_REJECTS'; readonly rejects: number; readonly window_ms: number; readonly last_msg: string }
  | { readonly kind: 'STATUS_NOT_TRADING'; readonly status: string };

/**
 * A quarantine imposed and not lifted, as the audit remembers it: a restart must not forget it
 * (fail closed), and its clean window still runs from the last sign of the cause.
 */
export interface StandingQuarantine {
  readonly symbol: string;
  readonly cause: QuarantineCause;
  readonly since_ms: number;
  readonly last_bad_ms: number;
  readonly last_bad: string;
}
