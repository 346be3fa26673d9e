import { describe, expect, it } from 'vitest';
import { bulkDrainsAtOnce } from './audit-worker.js';

describe('when a bulk frame is committed', () => {
  it('an idle writer (empty queue, no drain within the flush interval) commits a bulk frame on the next turn', () => {
    expect(bulkDrainsAtOnce(0, 5, 5)).toBe(true);
    expect(bulkDrainsAtOnce(0, 100_000, 5)).toBe(true);
  });

  it('a bulk frame waits for the batch timer behind a queue or right after a drain (frames back to back are batched)', () => {
    expect(bulkDrainsAtOnce(3, 100_000, 5)).toBe(false);
    expect(bulkDrainsAtOnce(0, 4, 5)).toBe(false);
  });
});
