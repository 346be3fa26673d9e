/**
 * A Map that forgets its oldest insertions beyond `capacity`: for lookups of the recent past in a
 * process that runs for months (an entry re-set keeps its first place in the order).
 */
export class CappedMap<K, V> extends Map<K, V> {
  constructor(readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    while (this.size > this.capacity) this.delete(this.keys().next().value as K);
    return this;
  }
}

/** A Set that forgets its oldest insertions beyond `capacity` (see CappedMap). */
export class CappedSet<T> extends Set<T> {
  constructor(readonly capacity: number) {
    super();
  }

  override add(value: T): this {
    super.add(value);
    while (this.size > this.capacity) this.delete(this.values().next().value as T);
    return this;
  }
}
