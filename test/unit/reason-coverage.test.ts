import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TSX_IMPORT } from '../../scripts/tsx.ts';

/**
 * scripts/reason-coverage.ts on a synthetic repository: what counts as a test raising a code (an
 * assertion outside comments and titles) and what does not (a comment, a test's name, a code fed
 * in as input, a helper module), and that a retired code needs no test.
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/reason-coverage.ts', import.meta.url));

function repo(tests: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'reason-cov-'));
  mkdirSync(join(root, 'packages/contracts/src'), { recursive: true });
  writeFileSync(
    join(root, 'packages/contracts/src/reason-codes.ts'),
    [
      'export const REASON_CODES = {',
      "  // NOT_A_CODE: r('INFO', 'NONE', 'auto', 'commented out'),",
      "  ASSERTED_CODE: r('WARN', 'NONE', 'auto', 'a'),",
      "  COMMENT_ONLY: r('WARN', 'NONE', 'auto', 'b'),",
      "  TITLE_ONLY: r('WARN', 'NONE', 'auto', 'c'),",
      "  FED_ONLY: r('WARN', 'NONE', 'auto', 'd'),",
      "  HELPER_ONLY: r('WARN', 'NONE', 'auto', 'e'),",
      "  OLD_CODE: retired(r('WARN', 'NONE', 'auto', 'f'),",
      "    'nothing raises it (reason, over two lines)'),",
      '} as const;',
    ].join('\n'),
  );
  for (const [path, text] of Object.entries(tests)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const run = (root: string, ...args: string[]) => spawnSync(process.execPath, [...TSX_IMPORT, SCRIPT, '--root', root, ...args], { encoding: 'utf8' });

describe('scripts/reason-coverage.ts', () => {
  const tests = {
    'test/a.test.ts': [
      '// COMMENT_ONLY is checked elsewhere',
      '/* and FED_ONLY too */',
      "it('raises TITLE_ONLY when things go wrong', () => {",
      "  authority.raise('FED_ONLY', 'gateway');",
      "  expect(reasons).toContain('ASSERTED_CODE');",
      '});',
    ].join('\n'),
    'test/harness.ts': "export const expected = 'HELPER_ONLY';\n",
  };

  it('exits 1 listing exactly the codes no test asserts: comment, title, fed-in input and helper mentions do not count; retired codes need none', () => {
    const r = run(repo(tests));
    expect(r.status).toBe(1);
    const listed = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim());
    expect(listed.sort()).toEqual(['COMMENT_ONLY', 'FED_ONLY', 'HELPER_ONLY', 'TITLE_ONLY']);
    expect(r.stdout).not.toContain('NOT_A_CODE');
  });

  it('exits 0 once every code that is not retired is asserted by a test, and --list shows the retirement reason', () => {
    const root = repo({
      ...tests,
      'packages/x/src/b.test.ts': "expect([...codes]).toEqual(['COMMENT_ONLY', 'TITLE_ONLY', 'FED_ONLY', 'HELPER_ONLY']);\n",
    });
    const r = run(root, '--list');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('OLD_CODE [retired: nothing raises it (reason, over two lines)]: -');
    expect(r.stdout).toContain('ASSERTED_CODE: test/a.test.ts');
    expect(r.stdout).toContain('5 of 6 codes raised by a test, 1 retired');
  });

  it('passes on this repository', () => {
    const r = run(fileURLToPath(new URL('../..', import.meta.url)));
    expect(r.stdout + r.stderr).toMatch(/reason-code coverage: \d+ of \d+ codes raised by a test/);
    expect(r.status).toBe(0);
  });
});
