import { max, type Fx } from './fx.js';
import { crosses, restingTakes, stopHit, takerPlan, touchAround, trailStep, type Level, type Side } from './rules.js';

/**
 * The venue's matching rules (rules.ts) applied to historical bars, for `supervisor experiments`.
 * A bar is replayed as a path of four touches: open, low, high, close. The low comes before the
 * high on purpose: for a long position (the only kind the bot holds) the adverse extreme first, so
 * when one bar reaches both the stop and the take-profit the stop is taken. The book at every
 * point is one level each side deep enough for the bot's size (the bar's own volume is not
 * modelled), with the spread of touchAround().
 *
 * Between two points the price moves through every tick, so a stop crossed between them triggers
 * AT its stop price; at the open (a gap from the previous close) it triggers at the open's touch.
 * What follows a trigger is the simulator's rule: a STOP_LOSS takes the book, a STOP_LOSS_LIMIT
 * rests at its limit and fills there once the bid reaches it (possibly never: the gap risk).
 */
export interface Touch {
  readonly bid: Fx;
  readonly ask: Fx;
}

/** The four mid prices of a bar's path (open, low, high, close). */
export function barPath(open: Fx, high: Fx, low: Fx, close: Fx): readonly Fx[] {
  return [open, low, high, close];
}

export function pathTouches(path: readonly Fx[], spreadBps: number, tick: Fx): Touch[] {
  return path.map((m) => touchAround(m, spreadBps, tick));
}

/** A fill on the path: at which point, at what price, as maker (resting) or taker. */
export interface PathFill {
  readonly at: number;
  readonly price: Fx;
  readonly maker: boolean;
}

/** Deep enough for any size the bot trades (a whole-bar level, see the header). */
const DEEP = 10n ** 30n;
const level = (price: Fx): Level[] => [{ price, qty: DEEP }];

/**
 * A LIMIT order on the path from point `from`. `fresh`: it reaches the venue at point `from` and
 * first takes what its price reaches as a taker (at the touch); otherwise (and after that) it rests
 * and fills at its own price, as maker, at the first point whose opposite touch crosses it.
 */
export function limitOnPath(side: Side, limit: Fx, qty: Fx, touches: readonly Touch[], from: number, fresh: boolean): PathFill | null {
  for (let k = from; k < touches.length; k++) {
    const t = touches[k];
    if (t === undefined) break;
    const opp = side === 'BUY' ? t.ask : t.bid;
    if (fresh && k === from) {
      const p = takerPlan(side, level(opp), qty, limit, null, 0n, opp);
      if (p.takes.length > 0) return { at: k, price: opp, maker: false };
      continue;
    }
    if (restingTakes(side, limit, level(opp), qty).length > 0) return { at: k, price: limit, maker: true };
  }
  return null;
}

/** A MARKET order arriving at point `at`: it takes the touch (one deep level: all of it there). */
export function marketOnPath(side: Side, touches: readonly Touch[], at: number): PathFill {
  const t = touches[at];
  if (t === undefined) throw new RangeError(`no point ${at} on a path of ${touches.length}`);
  return { at, price: side === 'BUY' ? t.ask : t.bid, maker: false };
}

/** The protection of a long: take-profit LIMIT_MAKER above, STOP_LOSS_LIMIT below (one list). */
export interface SellOco {
  readonly takeProfit: Fx;
  readonly stopPrice: Fx;
  readonly stopLimit: Fx;
}

export type OcoOnPath =
  | { readonly kind: 'NONE' }
  | { readonly kind: 'TAKE_PROFIT'; readonly fill: PathFill }
  | { readonly kind: 'STOP'; readonly fill: PathFill }
  /** The stop triggered (the list is done, the take-profit expired) but its limit was not reached: it rests. */
  | { readonly kind: 'STOP_RESTING'; readonly at: number };

/**
 * A SELL OCO standing from point `from` on. At each point the stop is judged first (a stop and a
 * take-profit on the same point: the stop). A triggered leg ends the list; a triggered stop-limit
 * fills at its limit once a bid reaches it.
 */
export function sellOcoOnPath(o: SellOco, qty: Fx, touches: readonly Touch[], from: number): OcoOnPath {
  for (let k = from; k < touches.length; k++) {
    const bid = touches[k]?.bid;
    if (bid === undefined) break;
    if (stopHit('SELL', 'STOP_LOSS_LIMIT', bid, o.stopPrice)) {
      // Crossed between points: the bid passed the stop itself; at the first point: a gap.
      const px = k === from ? bid : max(bid, o.stopPrice);
      if (restingTakes('SELL', o.stopLimit, level(px), qty).length > 0) return { kind: 'STOP', fill: { at: k, price: o.stopLimit, maker: true } };
      const later = limitOnPath('SELL', o.stopLimit, qty, touches, k + 1, false);
      return later ? { kind: 'STOP', fill: later } : { kind: 'STOP_RESTING', at: k };
    }
    if (crosses('SELL', bid, o.takeProfit)) return { kind: 'TAKE_PROFIT', fill: { at: k, price: o.takeProfit, maker: true } };
  }
  return { kind: 'NONE' };
}

/**
 * A trailing STOP_LOSS SELL from point `from`: it follows the highest bid (`ref`) and triggers
 * `deltaBips` behind it, then takes the book. Between points the bid passes the trigger level
 * itself (the first tick at or below it); at the first point it may gap through it. Returns the new reference and the fill, if any.
 */
export function sellTrailingOnPath(
  ref: Fx,
  deltaBips: number,
  tick: Fx,
  touches: readonly Touch[],
  from: number,
): { readonly ref: Fx; readonly fill: PathFill | null } {
  let best = ref;
  for (let k = from; k < touches.length; k++) {
    const bid = touches[k]?.bid;
    if (bid === undefined) break;
    const t = trailStep('SELL', best, bid, deltaBips);
    if (t.hit) {
      // The highest bid on the tick grid at or below the trigger level: where a falling bid first hits it.
      const level = (t.best * (10_000n - BigInt(deltaBips))) / 10_000n;
      const trigger = tick > 0n ? level - (level % tick) : level;
      const px = k === from ? bid : max(bid, trigger);
      return { ref: t.best, fill: { ...marketOnPath('SELL', [{ bid: px, ask: px }], 0), at: k } };
    }
    best = t.best;
  }
  return { ref: best, fill: null };
}
