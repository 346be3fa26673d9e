import type { JsonObject } from './envelope.js';

/**
 * The JSON reading of a type: interfaces (which have no index signature, so TypeScript will not
 * take them as JsonObject) map field by field; anything JSON cannot carry unchanged (a function or
 * method, so a Dec or a Date; a Map, a Set, a bigint, a symbol) maps to never.
 */
export type JsonShaped<T> = T extends null | boolean | number | string | undefined
  ? T
  : T extends bigint | symbol | ((...a: never[]) => unknown) | ReadonlyMap<unknown, unknown> | ReadonlySet<unknown>
    ? never
    : T extends readonly (infer U)[]
      ? readonly JsonShaped<U>[]
      : T extends object
        ? { readonly [K in keyof T]: JsonShaped<T[K]> }
        : never;

/**
 * A typed record as an audit or channel payload, checked at compile time instead of cast: a record
 * that holds a Dec, a Map or a function does not compile (the cast it replaces let such values
 * through to structured clone and JSON, where they change or vanish).
 */
export function jsonObject<T extends object>(x: T & JsonShaped<T>): JsonObject {
  return x as unknown as JsonObject;
}

/** A list of typed records as a payload field; see jsonObject. */
export function jsonArray<T extends object>(xs: readonly T[] & JsonShaped<readonly T[]>): JsonObject[] {
  return xs as unknown as JsonObject[];
}
