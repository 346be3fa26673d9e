import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, MAX_TEXT_CHARS, makeRequest, parseControlReply, parseControlRequest } from './protocol.js';

const line = (o: unknown): string => JSON.stringify(o);

describe('control protocol: request validation', () => {
  it('accepts exactly the three commands, each with its one text field', () => {
    expect(parseControlRequest(line({ v: 1, id: 'a1', cmd: 'pause', reason: 'venue incident' }))).toEqual({
      ok: true,
      req: { v: 1, id: 'a1', cmd: 'pause', reason: 'venue incident' },
    });
    expect(parseControlRequest(line({ v: 1, id: 'a2', cmd: 'resume', note: 'checked' }))).toMatchObject({ ok: true, req: { cmd: 'resume', note: 'checked' } });
    expect(parseControlRequest(line({ v: 1, id: 'a3', cmd: 'note', text: 'cause: key rotated' }))).toMatchObject({
      ok: true,
      req: { cmd: 'note', text: 'cause: key rotated' },
    });
    for (const cmd of ['pause', 'resume', 'note'] as const) expect(parseControlRequest(line(makeRequest(cmd, 'x', 't'))).ok).toBe(true);
  });

  it('refuses an unknown command with CHANNEL_UNKNOWN_TYPE, keeping the id for the reply', () => {
    expect(parseControlRequest(line({ v: 1, id: 'k', cmd: 'flatten_all', reason: 'x' }))).toMatchObject({ ok: false, code: 'CHANNEL_UNKNOWN_TYPE', id: 'k' });
    expect(parseControlRequest(line({ v: 1, id: 'k', cmd: 'PAUSE', reason: 'x' }))).toMatchObject({ ok: false, code: 'CHANNEL_UNKNOWN_TYPE' });
    expect(parseControlRequest(line({ v: 1, id: 'k', reason: 'x' }))).toMatchObject({ ok: false, code: 'CHANNEL_UNKNOWN_TYPE' });
  });

  it('refuses another protocol version with CHANNEL_VERSION_MISMATCH', () => {
    expect(parseControlRequest(line({ v: 2, id: 'k', cmd: 'pause', reason: 'x' }))).toMatchObject({ ok: false, code: 'CHANNEL_VERSION_MISMATCH' });
    expect(parseControlRequest(line({ v: '1', id: 'k', cmd: 'pause', reason: 'x' }))).toMatchObject({ ok: false, code: 'CHANNEL_VERSION_MISMATCH' });
  });

  it('refuses malformed requests: not JSON, not an object, bad id, extra, missing or wrong-field keys', () => {
    const bad = [
      'pause now',
      '[1,2]',
      'null',
      line({ v: 1, id: '', cmd: 'pause', reason: 'x' }),
      line({ v: 1, id: 'has space', cmd: 'pause', reason: 'x' }),
      line({ v: 1, id: 'x'.repeat(65), cmd: 'pause', reason: 'x' }),
      line({ v: 1, id: 'k', cmd: 'pause', reason: 'x', force: true }),
      line({ v: 1, id: 'k', cmd: 'pause' }),
      line({ v: 1, id: 'k', cmd: 'pause', note: 'x' }),
      line({ v: 1, id: 'k', cmd: 'resume', reason: 'x' }),
      line({ v: 1, id: 'k', cmd: 'note', text: 42 }),
      line({ v: 1, id: 'k', cmd: 'note', text: { toString: 'x' } }),
    ];
    for (const b of bad) expect(parseControlRequest(b), b).toMatchObject({ ok: false, code: 'CHANNEL_MALFORMED' });
  });

  it('refuses empty, multi-line, control-character and over-long text', () => {
    for (const t of ['', '   ', 'a\nb', 'a\rb', 'tab\there', 'nul\u0000', 'bell\u0007', 'del\u007f', 'ls\u2028', 'x'.repeat(MAX_TEXT_CHARS + 1)]) {
      expect(parseControlRequest(line({ v: 1, id: 'k', cmd: 'note', text: t })), JSON.stringify(t)).toMatchObject({ ok: false, code: 'CHANNEL_MALFORMED' });
    }
    // At the limit, and non-ASCII text, is fine.
    expect(parseControlRequest(line({ v: 1, id: 'k', cmd: 'note', text: 'é'.repeat(MAX_TEXT_CHARS) })).ok).toBe(true);
  });

  it('refuses a request line larger than the bound before parsing it', () => {
    const big = line({ v: 1, id: 'k', cmd: 'note', text: 'x'.repeat(MAX_REQUEST_BYTES) });
    expect(parseControlRequest(big)).toMatchObject({ ok: false, code: 'CHANNEL_MALFORMED', message: expect.stringContaining('larger than') });
  });
});

describe('control protocol: reply check', () => {
  it('accepts a reply for the id sent and refuses one for another id or of another shape', () => {
    const ok = { v: 1, id: 'r1', ok: true, cmd: 'pause', mode: 'PAUSE', audit_seq: 7, cleared: [], holding: [] };
    expect(parseControlReply(line(ok), 'r1')).toEqual(ok);
    expect(parseControlReply(line(ok), 'r2')).toBeNull();
    expect(parseControlReply(line({ ...ok, audit_seq: '7' }), 'r1')).toBeNull();
    expect(parseControlReply(line({ v: 1, id: null, ok: false, code: 'CHANNEL_MALFORMED', message: 'x' }), 'r1')).toMatchObject({ ok: false });
    expect(parseControlReply('not json', 'r1')).toBeNull();
  });
});
