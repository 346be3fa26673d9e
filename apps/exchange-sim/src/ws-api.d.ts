import type { WebSocket } from 'ws';
import type { Exchange } from './exchange.js';
export declare class WsApi {
    private readonly ex;
    private readonly now;
    private readonly subs;
    private nextId;
    constructor(ex: Exchange, now: () => number);
    attach(ws: WebSocket): void;
    /** Admin fault: the venue ends every subscription, as Binance does on its side. */
    terminate(): void;
    /** listStatus: sent when a list starts (EXEC_STARTED/EXECUTING) and when it ends (ALL_DONE). */
    private onList;
    private onOrder;
}
//# sourceMappingURL=ws-api.d.ts.map