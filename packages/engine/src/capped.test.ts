import { describe, expect, it } from 'vitest';
import { CappedMap, CappedSet } from './capped.js';

describe('CappedMap / CappedSet', () => {
  it('CappedMap holds at most its capacity, forgetting the oldest insertions first', () => {
    const m = new CappedMap<number, string>(3);
    for (let i = 1; i <= 10; i++) m.set(i, `c${i}`);
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual([8, 9, 10]);
    expect(m.get(10)).toBe('c10');
    expect(m.has(7)).toBe(false);
  });

  it('CappedSet holds at most its capacity, forgetting the oldest insertions first', () => {
    const s = new CappedSet<number>(2);
    for (let i = 1; i <= 5; i++) s.add(i);
    expect([...s]).toEqual([4, 5]);
  });
});
