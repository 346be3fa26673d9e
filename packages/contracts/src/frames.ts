/**
 * Wire frames of every MessagePort channel. Plain data only (structured clone): no classes, no
 * functions; decimals travel as strings. A frame of another protocol version is rejected.
 */
export const PROTOCOL_VERSION = 1 as const;
export type ProtocolVersion = typeof PROTOCOL_VERSION;

/** Errors cross threads as data and are compared by code, never by instanceof. */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** A request map: request type -> its input fields and its output. */
export type RequestMap = { readonly [type: string]: { readonly input: object; readonly output: unknown } };

/** What one side of a channel sends: its events, and the requests it makes of the other side. */
export interface Direction<E extends { readonly type: string }, R extends RequestMap> {
  readonly events: E;
  readonly requests: R;
}
export type AnyDirection = Direction<{ readonly type: string }, RequestMap>;

export type RequestBody<R extends RequestMap, K extends keyof R & string = keyof R & string> = K extends unknown ? { readonly type: K } & R[K]['input'] : never;

export type Frame<D extends AnyDirection> =
  | { readonly v: ProtocolVersion; readonly k: 'ev'; readonly body: D['events'] }
  | { readonly v: ProtocolVersion; readonly k: 'req'; readonly id: number; readonly body: RequestBody<D['requests']> }
  | { readonly v: ProtocolVersion; readonly k: 'res'; readonly id: number; readonly ok: true; readonly body: unknown }
  | { readonly v: ProtocolVersion; readonly k: 'res'; readonly id: number; readonly ok: false; readonly error: WireError };

/**
 * The runtime description of one direction: the names it may carry, and an optional shape check
 * per name for the fields a handler relies on. Returns a reason string when the body is bad.
 */
export type BodyCheck = (body: Readonly<Record<string, unknown>>) => string | null;
export interface DirectionSpec {
  readonly events: Readonly<Record<string, BodyCheck | null>>;
  readonly requests: Readonly<Record<string, BodyCheck | null>>;
}
export interface ChannelSpec {
  readonly name: string;
  /** What the "a" side sends (b receives), and what the "b" side sends (a receives). */
  readonly a: DirectionSpec;
  readonly b: DirectionSpec;
}
