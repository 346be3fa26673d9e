import { afterEach, describe, expect, it } from 'vitest';
import { warmGateTransport } from '../../packages/engine/src/aigate.js';

const OPTS = { model: 'vigil-reviewer-1', timeoutMs: 4000, maxReplyBytes: 65_536, maxTokens: 256 };
const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

describe('the AI gate transport warm-up (run by the engine thread before it reports ready)', () => {
  it('completes one SDK call against its own loopback stub, with a placeholder key and not the configured one', async () => {
    process.env['OPENAI_API_KEY'] = 'sk-warm-up-canary-must-not-be-sent';
    const seen: { url: string; auth: string | null }[] = [];
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(input instanceof Request ? input.url : input), auth: new Headers(init?.headers).get('authorization') });
      return realFetch(input, init);
    }) as typeof fetch;
    try {
      const w = await warmGateTransport(OPTS);
      expect(w).toMatchObject({ ok: true });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions$/);
      expect(seen[0]!.auth).toBe('Bearer warm-up-placeholder');
    } finally {
      delete process.env['OPENAI_API_KEY'];
    }
  });

  it("reads the stub's reply through the same capped reader as a review: a cap below the reply's size fails the warm-up, which does not throw", async () => {
    const w = await warmGateTransport({ ...OPTS, maxReplyBytes: 16 });
    expect(w.ok).toBe(false);
    expect(w.error).toMatch(/16-byte cap/);
  });
});
