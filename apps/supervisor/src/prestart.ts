import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '@vigil/contracts';
import type { ConfigError } from '@vigil/runtime';
import { controlSocketPath, MAX_SOCKET_PATH_BYTES } from './control/server.js';

/**
 * The configuration rules that depend on the machine (the working directory, what exists on disk),
 * checked by `start` right after the schema and before anything is created or any thread starts,
 * so that they fail as a config error (exit 78, one line naming the key) and not halfway through
 * the start with workers already running.
 */
export function preStartConfigCheck(config: Config, cwd: string = process.cwd()): ConfigError | null {
  const varDir = resolve(cwd, config.paths.var_dir);
  let isDir: boolean | null = null;
  try {
    isDir = statSync(varDir).isDirectory();
  } catch {
    isDir = null; // absent: start creates it
  }
  if (isDir === false) return { code: 'CONFIG_INVALID', key: 'paths.var_dir', rule: 'directory', message: `${varDir} exists and is not a directory` };
  if (Buffer.byteLength(controlSocketPath(varDir)) > MAX_SOCKET_PATH_BYTES) {
    return {
      code: 'CONFIG_INVALID',
      key: 'paths.var_dir',
      rule: 'socket-path',
      message: `is too long: <var_dir>/run/control.sock must stay within ${MAX_SOCKET_PATH_BYTES} bytes (the Unix socket limit); use a shorter var_dir`,
    };
  }
  return null;
}
