import type { Mode, ReasonCode } from '@vigil/contracts';

/**
 * The operator control channel: var/run/control.sock (mode 0600), one newline-terminated JSON
 * request per connection, one newline-terminated JSON reply. It is not the panel (the panel stays
 * GET-only) and carries exactly three commands. Requests are checked strictly: exact keys, bounded
 * sizes, printable text; anything else is refused with a reason code and audited.
 */
export const CONTROL_PROTOCOL = 1;
/** A request line longer than this is refused before it is parsed. */
export const MAX_REQUEST_BYTES = 4096;
/** Operator text (pause reason, resume note, note) in characters. */
export const MAX_TEXT_CHARS = 1000;

export const CONTROL_COMMANDS = ['pause', 'resume', 'note'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

/** Each command's one text field. */
const TEXT_FIELD = { pause: 'reason', resume: 'note', note: 'text' } as const satisfies Record<ControlCommand, string>;

export type ControlRequest =
  | { readonly v: 1; readonly id: string; readonly cmd: 'pause'; readonly reason: string }
  | { readonly v: 1; readonly id: string; readonly cmd: 'resume'; readonly note: string }
  | { readonly v: 1; readonly id: string; readonly cmd: 'note'; readonly text: string };

export type RefusalCode = 'CHANNEL_MALFORMED' | 'CHANNEL_UNKNOWN_TYPE' | 'CHANNEL_VERSION_MISMATCH';

export interface ReasonRef {
  readonly code: ReasonCode;
  readonly source: string;
  readonly forces: string;
  readonly summary: string;
}

export type ControlReply =
  | {
      readonly v: 1;
      readonly id: string;
      readonly ok: true;
      readonly cmd: ControlCommand;
      readonly mode: Mode;
      /** Audit seq of the committed OPERATOR_* event. */
      readonly audit_seq: number;
      readonly cleared: readonly ReasonRef[];
      /** Reasons that still force DEGRADE/PAUSE after the command, with why they stay. */
      readonly holding: readonly (ReasonRef & { readonly why: string })[];
    }
  | {
      readonly v: 1;
      readonly id: string | null;
      readonly ok: false;
      readonly code: RefusalCode | 'RESUME_REFUSED' | 'AUDIT_WRITE_FAILED';
      readonly message: string;
      /** RESUME_REFUSED: the automatic reasons that must clear themselves first. */
      readonly blocking?: readonly ReasonRef[];
    };

export type ParsedRequest =
  | { readonly ok: true; readonly req: ControlRequest }
  | { readonly ok: false; readonly code: RefusalCode; readonly message: string; readonly id: string | null };

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: the text is one line.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why an operator text is not acceptable, or null. Shared by the CLI (checked before sending) and the server. */
export function textProblem(field: string, v: unknown): string | null {
  if (typeof v !== 'string') return `${field} must be a string`;
  if (v.trim().length === 0) return `${field} must not be empty`;
  if ([...v].length > MAX_TEXT_CHARS) return `${field} is longer than ${MAX_TEXT_CHARS} characters`;
  if (CONTROL_CHARS.test(v)) return `${field} must be one line of printable text`;
  return null;
}

export function parseControlRequest(line: string): ParsedRequest {
  if (Buffer.byteLength(line, 'utf8') > MAX_REQUEST_BYTES)
    return { ok: false, code: 'CHANNEL_MALFORMED', message: `request larger than ${MAX_REQUEST_BYTES} bytes`, id: null };
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, code: 'CHANNEL_MALFORMED', message: 'request is not JSON', id: null };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, code: 'CHANNEL_MALFORMED', message: 'request is not a JSON object', id: null };
  const o = v as Record<string, unknown>;
  const id = typeof o['id'] === 'string' && ID_RE.test(o['id']) ? o['id'] : null;
  const bad = (code: RefusalCode, message: string): ParsedRequest => ({ ok: false, code, message, id });
  if (o['v'] !== CONTROL_PROTOCOL) return bad('CHANNEL_VERSION_MISMATCH', `protocol version must be ${CONTROL_PROTOCOL}`);
  if (id === null) return bad('CHANNEL_MALFORMED', 'id must be 1-64 characters of [A-Za-z0-9_-]');
  const cmd = o['cmd'];
  if (typeof cmd !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(cmd))
    return bad('CHANNEL_UNKNOWN_TYPE', `unknown command (known: ${CONTROL_COMMANDS.join(', ')})`);
  const c = cmd as ControlCommand;
  const field = TEXT_FIELD[c];
  const keys = Object.keys(o).sort();
  const want = ['cmd', 'id', 'v', field].sort();
  if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) return bad('CHANNEL_MALFORMED', `${c} takes exactly the keys ${want.join(', ')}`);
  const problem = textProblem(field, o[field]);
  if (problem) return bad('CHANNEL_MALFORMED', problem);
  const text = o[field] as string;
  switch (c) {
    case 'pause':
      return { ok: true, req: { v: 1, id, cmd: c, reason: text } };
    case 'resume':
      return { ok: true, req: { v: 1, id, cmd: c, note: text } };
    case 'note':
      return { ok: true, req: { v: 1, id, cmd: c, text } };
  }
}

export function makeRequest(cmd: ControlCommand, id: string, text: string): ControlRequest {
  switch (cmd) {
    case 'pause':
      return { v: 1, id, cmd, reason: text };
    case 'resume':
      return { v: 1, id, cmd, note: text };
    case 'note':
      return { v: 1, id, cmd, text };
  }
}

/** The client's check of a reply: the shape it relies on, and the id it sent. */
export function parseControlReply(line: string, id: string): ControlReply | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  if (o['v'] !== CONTROL_PROTOCOL || typeof o['ok'] !== 'boolean') return null;
  if (o['ok'] === true) {
    if (o['id'] !== id || typeof o['mode'] !== 'string' || typeof o['audit_seq'] !== 'number' || !Array.isArray(o['cleared']) || !Array.isArray(o['holding']))
      return null;
  } else if (typeof o['code'] !== 'string' || typeof o['message'] !== 'string' || (o['id'] !== id && o['id'] !== null)) {
    return null;
  }
  return o as unknown as ControlReply;
}
