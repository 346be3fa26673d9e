import { statSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, so the forks finish together. Vitest's own order needs its results
 * cache, which a fresh clone (CI) does not have: it then runs the largest files first, and a short
 * file that takes 100 s (the quick chaos matrix spawns whole processes) started last and ran alone
 * at the end. test/file-durations.json holds each file's wall time from a full run
 * (`node --import tsx scripts/test-durations.ts` rewrites it from test/artifacts/vitest.json); the local cache
 * wins where it has a result, and a file in neither is weighed by its size.
 */
const known = JSON.parse(readFileSync(new URL('./file-durations.json', import.meta.url), 'utf8')) as { files: Record<string, number> };

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const weight = new Map<TestSpecification, number>();
    for (const f of files) {
      const rel = relative(root, f.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${f.project.name}:${rel}`);
      // Seconds; a file never timed is weighed by its size (a rough guess: 1 s per 20 KB), so it sorts among the unit tests.
      const w = cached && !cached.failed ? cached.duration / 1000 : (known.files[rel] ?? statSync(f.moduleId).size / 20_000);
      weight.set(f, w);
    }
    return [...files].sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0));
  }
}
