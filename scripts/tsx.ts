// The scripts are TypeScript, run by Node with tsx's loader (`node --import tsx scripts/x.ts`).
// A script or test that starts another script in a new process passes these flags: the loader's
// absolute URL, so the child finds it whatever its working directory.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export const TSX_IMPORT: readonly string[] = ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
