import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { redact, redactString } from '@vigil/core';
import winston from 'winston';
import type { LoggingConfig, ThreadName } from '@vigil/contracts';

export type Logger = winston.Logger;

/** Every line passes redaction: secrets never reach a log line, whatever a caller passes. */
const redactFormat = winston.format((info) => {
  const out = redact({ ...info }) as winston.Logform.TransformableInfo;
  if (typeof info.message === 'string') out.message = redactString(info.message);
  // winston keeps its level/splat symbols on the original object; carry them over.
  for (const s of Object.getOwnPropertySymbols(info)) (out as unknown as Record<symbol, unknown>)[s] = (info as unknown as Record<symbol, unknown>)[s];
  return out;
});

/**
 * One logger per thread: human lines on the console, JSON lines in var/log/<thread>.log rotated by
 * size (maxsize/maxFiles). Each thread has its own file, so no two threads rotate the same file.
 */
export function createLogger(opts: {
  readonly thread: ThreadName;
  readonly logDir: string | null;
  readonly config: LoggingConfig;
  readonly console?: boolean;
}): Logger {
  const transports: winston.transport[] = [];
  if (opts.console !== false) {
    transports.push(
      new winston.transports.Console({
        format: winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf((i) => `${String(i['timestamp'])} ${i.level.toUpperCase().padEnd(5)} [${opts.thread}] ${String(i.message)}${fmtMeta(i)}`),
        ),
      }),
    );
  }
  if (opts.logDir !== null) {
    mkdirSync(opts.logDir, { recursive: true });
    transports.push(
      new winston.transports.File({
        filename: join(opts.logDir, `${opts.thread}.log`),
        maxsize: opts.config.file_max_bytes,
        maxFiles: opts.config.file_max_files,
        tailable: true,
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }),
    );
  }
  // A logger asked for no output still needs a transport, or winston complains on every line.
  if (transports.length === 0) transports.push(new winston.transports.Console({ silent: true }));
  return winston.createLogger({
    level: opts.config.level,
    defaultMeta: { thread: opts.thread },
    format: redactFormat(),
    transports,
  });
}

function fmtMeta(i: winston.Logform.TransformableInfo): string {
  const skip = new Set(['level', 'message', 'timestamp', 'thread']);
  const rest = Object.entries(i).filter(([k]) => !skip.has(k));
  return rest.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(rest))}`;
}
