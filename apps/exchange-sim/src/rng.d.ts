/** A small seeded PRNG (mulberry32): the same seed gives the same market, run after run. */
export declare function rng(seed: number): () => number;
//# sourceMappingURL=rng.d.ts.map