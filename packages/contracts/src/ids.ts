import { createHash, randomFillSync } from 'node:crypto';

/**
 * Time-ordered ids: 12 hex chars of ms time + 4 hex of a per-process counter + 8 random hex.
 * Sortable by creation within and across threads (to the ms), unique without coordination.
 */
let counter = 0;
// Random bytes drawn from the CSPRNG 4 KiB at a time: one randomBytes call per id cost more than
// the rest of building an audit event.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function random8Hex(): string {
  if (poolAt + 4 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + 4);
  poolAt += 4;
  return s;
}

export function newId(prefix: string, nowMs: number = Date.now()): string {
  counter = (counter + 1) & 0xffff;
  const t = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0');
  const c = counter.toString(16).padStart(4, '0');
  return `${prefix}_${t}${c}${random8Hex()}`;
}

export const newRunId = (nowMs?: number): string => newId('run', nowMs);
export const newEventId = (nowMs?: number): string => newId('evt', nowMs);
export const newSnapshotId = (nowMs?: number): string => newId('snp', nowMs);
export const newIntentId = (nowMs?: number): string => newId('oi', nowMs);

/** Binance's newClientOrderId pattern: ^[a-zA-Z0-9-_]{1,36}$ */
export const CLIENT_ORDER_ID_RE = /^[a-zA-Z0-9-_]{1,36}$/;

/**
 * The clientOrderId of an order intent: deterministic from the intent id and the leg, so REST can
 * always be asked "did this order happen?" after a crash. Binance only guarantees uniqueness among
 * open orders, so the id embeds a digest of the full intent id (not a counter that could repeat
 * across runs). Format: "vg" + leg letter + 33 base32 chars of sha256 = 36 chars.
 */
export const ORDER_LEGS = { entry: 'e', stop: 's', take_profit: 't', list: 'l', close: 'c', trailing: 'r' } as const;
export type OrderLeg = keyof typeof ORDER_LEGS;

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
export function clientOrderIdFor(orderIntentId: string, leg: OrderLeg): string {
  const digest = createHash('sha256').update(`${orderIntentId}|${leg}`).digest();
  let out = `vg${ORDER_LEGS[leg]}`;
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 36) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 36) break;
    value &= (1 << bits) - 1;
  }
  return out;
}

const LEG_OF_LETTER: ReadonlyMap<string, OrderLeg> = new Map(Object.entries(ORDER_LEGS).map(([leg, letter]) => [letter, leg as OrderLeg]));
const OUR_ID_RE = /^vg([a-z])[a-z2-7]{33}$/;

/**
 * The leg an order of ours plays, read back from its clientOrderId (the inverse of
 * clientOrderIdFor's letter, and of an OCO leg's id, which keeps the list's digest with its own
 * letter). Null for any id not of that exact shape: someone else's order, or a probe such as the
 * "vgtest" of an order/test. Callers that decide what an order may do must treat null as the most
 * restricted role, never as protection.
 */
export function orderRole(clientOrderId: string): OrderLeg | null {
  const m = OUR_ID_RE.exec(clientOrderId);
  return m ? (LEG_OF_LETTER.get(m[1]!) ?? null) : null;
}

/**
 * Whether an order may be the bot's: its clientOrderId carries the bot's prefix. Broader than
 * orderRole (probes such as order/test's "vgtest", ids of another shape): what is not ours by this
 * test is never acted on; what is ours by it but has no role is treated as the most restricted.
 */
export const isOwnClientOrderId = (clientOrderId: string): boolean => clientOrderId.startsWith('vg');

/** An OCO leg's clientOrderId: the list's digest with the leg's own letter (clientOrderIdFor(id, 'list') -> its legs). */
export function listLegId(listClientOrderId: string, leg: 'stop' | 'take_profit'): string {
  return `vg${ORDER_LEGS[leg]}${listClientOrderId.slice(3)}`;
}

/** The inverse of listLegId: the list clientOrderId of an OCO leg's, or null for any other order. */
export function listIdOfLeg(clientOrderId: string): string | null {
  const role = orderRole(clientOrderId);
  return role === 'stop' || role === 'take_profit' ? `vg${ORDER_LEGS.list}${clientOrderId.slice(3)}` : null;
}
