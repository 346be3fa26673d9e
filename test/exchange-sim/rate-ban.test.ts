import { describe, expect, it } from 'vitest';
import { LIMITS, RateLimiter } from '../../apps/exchange-sim/src/rate-limits.js';

describe('the simulator bans only a client that fails to back off within one 429 window', () => {
  it(`requests ignoring one 429 window are banned (418) after ${LIMITS.banAfterIgnored429}; the same number spread over separate windows, each waited out, is never banned`, () => {
    const lim = new RateLimiter();
    let now = 1_000_000;
    // Twenty separate 1-second 429 windows, each met by as many requests as are tolerated, then waited out.
    for (let w = 0; w < 20; w++) {
      lim.forceLimited(now, 1000);
      for (let i = 0; i < LIMITS.banAfterIgnored429; i++) expect(lim.admit(now + i, 1)).toMatchObject({ ok: false, status: 429 });
      now += 1500;
      expect(lim.admit(now, 1)).toMatchObject({ ok: true });
      now += 60_000;
    }
    // One window met by one request too many: banned, with a Retry-After.
    lim.forceLimited(now, 1000);
    for (let i = 0; i < LIMITS.banAfterIgnored429; i++) lim.admit(now + i, 1);
    expect(lim.admit(now + 10, 1)).toMatchObject({ ok: false, status: 418 });
  });
});
