import { describe, expect, it } from 'vitest';
import { CLIENT_ORDER_ID_RE, type EventEnvelope } from '@vigil/contracts';
import { EventFactory } from '@vigil/runtime';
import { IntentBook } from './intents.js';

function book(commit: (e: readonly EventEnvelope[]) => Promise<unknown>, recorded: EventEnvelope[] = []) {
  const f = new EventFactory('run_t', 'engine');
  return new IntentBook({ now: () => 1000, make: (t, p, o) => f.make(t, p, o), commit, record: (e) => recorded.push(e) });
}

describe('intent book', () => {
  it('commits CREATED before returning, with a clientOrderId Binance accepts', async () => {
    const committed: EventEnvelope[] = [];
    const b = book(async (e) => committed.push(...e));
    const i = await b.create('ENTRY', 'BTCUSDT', 'BUY', 'entry', { cycle_id: 1 }, {});
    expect(committed.map((e) => e.event_type)).toEqual(['INTENT_CREATED']);
    expect(committed[0]!.order_intent_id).toBe(i.id);
    expect(i.client_order_id).toMatch(CLIENT_ORDER_ID_RE);
    expect(i.client_order_id).toHaveLength(36);
  });

  it('refuses to exist when the audit does not commit (nothing may be sent)', async () => {
    const b = book(async () => {
      throw new Error('no writer');
    });
    await expect(b.create('ENTRY', 'BTCUSDT', 'BUY', 'entry', {}, {})).rejects.toThrow('no writer');
    expect(b.unresolved()).toEqual([]);
  });

  it('closes a refused creation on record as never sent: the refusal may be a lost acknowledgement of a commit that happened', async () => {
    const recorded: EventEnvelope[] = [];
    const sent: EventEnvelope[] = [];
    const b = book(async (e) => {
      sent.push(...e);
      throw new Error('request timed out after 5000 ms');
    }, recorded);
    await expect(
      b.createAll([
        { kind: 'CANCEL', symbol: 'BTCUSDT', side: 'BUY', leg: 'close', corr: {}, detail: { target: 'x' } },
        { kind: 'ENTRY', symbol: 'BTCUSDT', side: 'BUY', leg: 'entry', corr: {}, detail: {} },
      ]),
    ).rejects.toThrow('timed out');
    expect(recorded.map((e) => [e.event_type, e.order_intent_id, e.payload['to'], e.payload['not_sent']])).toEqual(
      sent.map((e) => ['INTENT_STATE_CHANGED', e.order_intent_id, 'FAILED_TERMINAL', true]),
    );
    expect(recorded.map((e) => e.payload['client_order_id'])).toEqual(sent.map((e) => e.payload['client_order_id']));
    expect(b.unresolved()).toEqual([]);
  });

  it('only moves along the state machine: SENT_UNKNOWN never becomes FAILED_TERMINAL', async () => {
    const seen: string[] = [];
    const b = book(async (e) => seen.push(...e.map((x) => `${x.event_type}:${String(x.payload['to'] ?? '')}`)));
    const i = await b.create('ENTRY', 'BTCUSDT', 'BUY', 'entry', {}, {});
    b.transition(i, 'SENT_UNKNOWN', 'INTENT_SENT_UNKNOWN');
    expect(b.unknownOn('BTCUSDT')).toBe(true);
    expect(() => b.transition(i, 'FAILED_TERMINAL', null)).toThrow(/not allowed/);
    b.transition(i, 'CONFIRMED', null);
    expect(() => b.transition(i, 'NOT_FOUND', null)).toThrow(/not allowed/);
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['INTENT_CREATED:', 'INTENT_STATE_CHANGED:SENT_UNKNOWN', 'INTENT_STATE_CHANGED:CONFIRMED']);
  });

  it('createAll commits several intents in one write, or none of them exists', async () => {
    const commits: EventEnvelope[][] = [];
    const b = book(async (e) => commits.push([...e]));
    const [c, n] = await b.createAll([
      { kind: 'CANCEL', symbol: 'BTCUSDT', side: 'BUY', leg: 'close', corr: { cycle_id: 2 }, detail: { target: 'vgeold' } },
      { kind: 'ENTRY', symbol: 'BTCUSDT', side: 'BUY', leg: 'entry', corr: { cycle_id: 2 }, detail: { requote: 1 } },
    ]);
    expect(commits).toHaveLength(1);
    expect(commits[0]!.map((e) => [e.event_type, e.order_intent_id, e.payload['kind']])).toEqual([
      ['INTENT_CREATED', c!.id, 'CANCEL'],
      ['INTENT_CREATED', n!.id, 'ENTRY'],
    ]);
    expect(c!.client_order_id).not.toBe(n!.client_order_id);
    expect(b.unresolved().map((i) => i.id)).toEqual([c!.id, n!.id]);

    const refused = book(async () => {
      throw new Error('no writer');
    });
    await expect(refused.createAll([{ kind: 'ENTRY', symbol: 'BTCUSDT', side: 'BUY', leg: 'entry', corr: {}, detail: {} }])).rejects.toThrow('no writer');
    expect(refused.unresolved()).toEqual([]);
  });
});
