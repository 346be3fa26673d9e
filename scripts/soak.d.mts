/** Types of scripts/soak.mjs for the tests that drive it (test/fuzz/load.test.ts). */
export interface LoadReport {
  readonly ok: boolean;
  readonly sent: number;
  readonly slack: number;
  readonly db_rows: number;
  readonly silent_loss: number;
  readonly client_dropped: number;
  readonly drop_alerts: number;
  readonly burst_events: number;
  readonly writer: { readonly committed_total: number; readonly dropped_total: number; readonly state: string };
  readonly writer_transitions: readonly { readonly reason_code: string; readonly event_type: string; readonly n: number }[];
  readonly checks: Readonly<Record<string, boolean>>;
  readonly integrity: { readonly checks: Readonly<Record<string, boolean>> };
  readonly producers: Readonly<
    Record<string, { readonly sent: number; readonly sent_critical: number; readonly dropped: number; readonly held: number } | null>
  >;
}
export function runLoad(o: {
  readonly seconds: number;
  readonly tickMs: number;
  readonly pressure?: boolean;
  readonly keep?: boolean;
  readonly progress?: boolean;
}): Promise<LoadReport>;
export function slopePerMin(samples: readonly { readonly t_ms: number; readonly v: number }[]): number;
