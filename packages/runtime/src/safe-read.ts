import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/**
 * Reading an operator-named file (config, secrets, lock files) without ever blocking or reading
 * without end: only a regular file (a symlink to one is fine), at most `maxBytes`. A FIFO, a device,
 * a socket or a directory is refused from stat() alone, before any open; the open is O_NONBLOCK (a
 * FIFO swapped in after the stat cannot block it) and the open descriptor is fstat()ed again, so
 * what is read is what was checked. Messages name the path and the kind, never the content.
 */
export type FileReadFailure = 'missing' | 'not-regular' | 'too-large' | 'unreadable' | 'not-utf8';

export type FileReadResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly failure: FileReadFailure; readonly message: string };

export const CONFIG_MAX_BYTES = 1024 * 1024;
export const SECRETS_MAX_BYTES = 64 * 1024;

/** What kind of thing a non-regular file is, for the message. */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const errCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? 'ERROR';

/** stat() (following symlinks): whether `path` is a regular file, without opening it. */
export function checkRegularFile(
  path: string,
): { readonly ok: true; readonly size: number } | { readonly ok: false; readonly failure: 'missing' | 'not-regular' | 'unreadable'; readonly message: string } {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, failure: 'missing', message: `${path} does not exist` };
    return { ok: false, failure: 'unreadable', message: `${path} cannot be examined (${code})` };
  }
  if (!st.isFile()) return { ok: false, failure: 'not-regular', message: `${path} is not a regular file (it is ${fileKind(st)})` };
  return { ok: true, size: st.size };
}

export function readRegularFile(path: string, maxBytes: number): FileReadResult {
  const pre = checkRegularFile(path);
  if (!pre.ok) return pre;
  if (pre.size > maxBytes) return tooLarge(path, maxBytes);
  let fd: number;
  try {
    // O_NONBLOCK and O_NOCTTY are absent on Windows, where FIFOs and ttys cannot be swapped in this way.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    return { ok: false, failure: 'unreadable', message: `${path} cannot be opened (${errCode(e)})` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, failure: 'not-regular', message: `${path} is not a regular file (it is ${fileKind(st)})` };
    if (st.size > maxBytes) return tooLarge(path, maxBytes);
    // One byte more than allowed tells a file that grew past the cap after the fstat.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > maxBytes) return tooLarge(path, maxBytes);
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n)) };
    } catch {
      return { ok: false, failure: 'not-utf8', message: `${path} is not valid UTF-8 text` };
    }
  } catch (e) {
    return { ok: false, failure: 'unreadable', message: `${path} cannot be read (${errCode(e)})` };
  } finally {
    closeSync(fd);
  }
}

const tooLarge = (path: string, maxBytes: number): FileReadResult => ({ ok: false, failure: 'too-large', message: `${path} is larger than ${maxBytes} bytes` });
