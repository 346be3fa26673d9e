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
}
