/**
 * Fixed-point decimals with 8 places on BigInt: Binance quotes every price, quantity and balance
 * with at most 8 decimals. Independent of the bot's decimal code on purpose.
 */
export type Fx = bigint;
export declare const SCALE = 100000000n;
export declare const DP = 8;
export type ParseResult = {
    ok: true;
    value: Fx;
} | {
    ok: false;
    why: 'syntax' | 'precision';
};
export declare function parseFx(s: string): ParseResult;
export declare function fx(s: string): Fx;
export declare function fmt(v: Fx): string;
export declare const mul: (a: Fx, b: Fx) => Fx;
export declare const div: (a: Fx, b: Fx) => Fx;
export declare const min: (a: Fx, b: Fx) => Fx;
export declare const max: (a: Fx, b: Fx) => Fx;
/** Is v a whole multiple of step above base (step 0 = no constraint)? */
export declare const onStep: (v: Fx, base: Fx, step: Fx) => boolean;
export declare const floorStep: (v: Fx, step: Fx) => Fx;
//# sourceMappingURL=decimal.d.ts.map