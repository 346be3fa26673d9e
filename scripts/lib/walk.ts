// The one file walker of the scripts (check-layers, reason-coverage, soak): depth first, in
// readdir order, so every caller lists the same files in the same order.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface WalkOptions {
  /** Which files to yield, by name (default: every file). */
  readonly file?: (name: string) => boolean;
  /** Entries (directories or files) not to enter or yield, by name. */
  readonly skip?: (name: string) => boolean;
}

/** Build output, installed dependencies and tool state: not the project's source. */
export const SKIP_NON_SOURCE = (name: string): boolean => name === 'node_modules' || name === 'dist' || name.startsWith('.');

/**
 * Every file below `dir` (paths joined onto `dir`). A directory that cannot be read (missing, or
 * gone meanwhile) yields nothing: the callers scan optional trees (test/, apps/, a var/ directory).
 */
export function* walkFiles(dir: string, o: WalkOptions = {}): Generator<string> {
  const skip = o.skip ?? SKIP_NON_SOURCE;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (skip(e)) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* walkFiles(p, o);
    else if (o.file === undefined || o.file(e)) yield p;
  }
}
