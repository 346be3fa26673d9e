/**
 * Order actions per symbol in sliding windows (10 s and 60 s), the operations rules' churn
 * counters: every new order and every cancel counts; a cancel-replace also counts separately.
 */
export type ChurnKind = 'new' | 'cancel' | 'replace';

export class ChurnCounter {
  private readonly events = new Map<string, { ts: number; kind: ChurnKind }[]>();

  constructor(private readonly now: () => number) {}

  record(symbol: string, kind: ChurnKind): void {
    const list = this.events.get(symbol) ?? [];
    list.push({ ts: this.now(), kind });
    this.events.set(symbol, list);
    this.prune(symbol);
  }

  /** new+cancel (churn) and replace counts of a symbol within the last `windowMs`. */
  count(symbol: string, windowMs: number): { readonly churn: number; readonly replace: number } {
    this.prune(symbol);
    const since = this.now() - windowMs;
    let churn = 0;
    let replace = 0;
    for (const e of this.events.get(symbol) ?? []) {
      if (e.ts < since) continue;
      if (e.kind === 'replace') replace++;
      else churn++;
    }
    return { churn, replace };
  }

  symbols(): string[] {
    return [...this.events.keys()];
  }

  private prune(symbol: string): void {
    const list = this.events.get(symbol);
    if (!list) return;
    const since = this.now() - 60_000;
    while (list.length > 0 && list[0]!.ts < since) list.shift();
  }
}
