import { describe, expect, it } from 'vitest';
import { boundedFetch, ReplyRefused } from '../../packages/engine/src/aigate.js';

/**
 * The AI gate's fetch stops reading at the reply cap: it never pulls the rest of a long body,
 * refuses a content-encoded reply and an oversized Content-Length without reading, and asks for
 * identity encoding. The inner fetch is a stand-in that hands back a counted stream.
 */
function counted(chunks: number, chunkBytes: number, headers: Record<string, string> = {}) {
  let pulled = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (pulled >= chunks) return c.close();
        pulled++;
        c.enqueue(new Uint8Array(chunkBytes).fill(0x20));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  let sentHeaders: Headers | null = null;
  const inner = (async (_u: string | URL | Request, init?: RequestInit) => {
    sentHeaders = new Headers(init?.headers);
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json', ...headers } });
  }) as typeof fetch;
  return { inner, pulled: () => pulled, cancelled: () => cancelled, sent: () => sentHeaders };
}

describe('boundedFetch', () => {
  it('stops pulling a 1 GiB body at the cap: at most one chunk beyond it is read, the stream is cancelled', async () => {
    const s = counted(16_384, 65_536);
    await expect(boundedFetch(65_536, s.inner)('http://x/v1/chat/completions')).rejects.toBeInstanceOf(ReplyRefused);
    expect(s.pulled()).toBeLessThanOrEqual(2);
    expect(s.cancelled()).toBe(true);
  });

  it('passes a body within the cap through unchanged, and asks for identity encoding', async () => {
    const s = counted(3, 1000);
    const res = await boundedFetch(4096, s.inner)('http://x/v1/chat/completions', { headers: { 'accept-encoding': 'gzip, br' } });
    expect((await res.arrayBuffer()).byteLength).toBe(3000);
    expect(s.sent()!.get('accept-encoding')).toBe('identity');
  });

  it.each([['gzip'], ['br'], ['deflate'], ['gzip, identity']])('refuses Content-Encoding %s without reading the body', async (e) => {
    const s = counted(10, 10, { 'content-encoding': e });
    await expect(boundedFetch(4096, s.inner)('http://x')).rejects.toThrow(/Content-Encoding/);
    expect(s.pulled()).toBe(0);
  });

  it.each([['100000'], ['-1'], ['12abc']])('refuses Content-Length %s (over the cap or not a length) without reading the body', async (len) => {
    const s = counted(10, 10, { 'content-length': len });
    await expect(boundedFetch(4096, s.inner)('http://x')).rejects.toThrow(/Content-Length/);
    expect(s.pulled()).toBe(0);
  });
});

describe('aigate.max_reply_bytes in the configuration', () => {
  it('defaults to 65536 and refuses a value above the 256 KiB ceiling or below 4 KiB (CONFIG_INVALID naming the key)', async () => {
    const { parseConfig } = await import('@vigil/runtime');
    const d = parseConfig({});
    expect(d.ok && d.config.aigate.max_reply_bytes).toBe(65_536);
    for (const v of [262_145, 4095, 1.5, '65536']) {
      const r = parseConfig({ aigate: { max_reply_bytes: v } });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.key).toBe('aigate.max_reply_bytes');
    }
    expect(parseConfig({ aigate: { max_reply_bytes: 262_144 } }).ok).toBe(true);
  });
});
