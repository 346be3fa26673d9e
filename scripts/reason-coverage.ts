// Reason-code coverage: every code in packages/contracts/src/reason-codes.ts must be raised by at
// least one test, or be marked retired (with its reason) in the table. Exits 1 listing the codes
// that are neither.
//
// The rule for "raised by a test" (kept deliberately mechanical, so it can be checked by anyone):
// the code appears as a whole word in a test file (test/**/*.test.ts, packages/*/src/**/*.test.ts,
// apps/*/src/**/*.test.ts) OUTSIDE comments and OUTSIDE test/describe titles, and not only as the
// code argument of a call that FEEDS a reason into the code under test (raise('X'), clear('X'),
// reason('X'), makeReason('X')): a code named only in a comment, a test's name, or fed in as input
// is a mention, not a check. Table-driven tests (a code in an it.each row or a fault table) count:
// the table row is what the test asserts. Helper modules (harness.ts etc.) do not count: a helper
// that names a code proves nothing until a test uses it. The rule is necessary, not sufficient: a
// reviewer still reads what each test makes the system raise.
//
// Usage: node --import tsx scripts/reason-coverage.ts [--list] [--root DIR]
//   --list   print every code with the test files that raise it
//   --root   scan DIR instead of the repository (used by the script's own unit test)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Drops // and block comments, keeping string and template literal text (codes are strings). */
export function stripComments(src: string): string {
  let out = '';
  let i = 0;
  let state = 'code';
  let quote = '';
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (state === 'code') {
      if (c === '/' && n === '/') {
        state = 'line';
        i += 2;
        continue;
      }
      if (c === '/' && n === '*') {
        state = 'block';
        i += 2;
        continue;
      }
      if (c === "'" || c === '"' || c === '`') {
        state = 'str';
        quote = c;
      }
      out += c;
      i++;
      continue;
    }
    if (state === 'line') {
      if (c === '\n') {
        state = 'code';
        out += c;
      }
      i++;
      continue;
    }
    if (state === 'block') {
      if (c === '*' && n === '/') {
        state = 'code';
        i += 2;
        continue;
      }
      if (c === '\n') out += c;
      i++;
      continue;
    }
    // inside a string or template literal (template ${} holes are kept as text: good enough here)
    if (c === '\\') {
      out += c + (n ?? '');
      i += 2;
      continue;
    }
    if (c === quote) state = 'code';
    out += c;
    i++;
  }
  return out;
}

/** Removes the title argument of it/test/describe calls (a name is not an assertion). */
export function stripTitles(code: string): string {
  return code.replace(
    /\b(it|test|describe)(\.(only|each|concurrent|sequential|runIf\([^)]*\)|skipIf\([^)]*\)))*\s*\(\s*(['"`])((?:\\.|(?!\4)[^\\])*)\4/g,
    (_m, fn: string) => `${fn}(''`,
  );
}

const FEEDS = /\b(raise|clear|reason|makeReason|reasonOf)\(\s*$/;

/** True when `code` appears in the (comment- and title-stripped) text other than as fed-in input. */
export function assertsCode(text: string, code: string): boolean {
  const word = new RegExp(`\\b${code}\\b`, 'g');
  let m;
  while ((m = word.exec(text))) {
    const before = text.slice(Math.max(0, m.index - 40), m.index).replace(/['"`]$/, '');
    if (!FEEDS.test(before)) return true;
  }
  return false;
}

function* testFiles(root: string): Generator<string> {
  const walk = function* (dir: string): Generator<string> {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e === 'node_modules' || e === 'dist' || e.startsWith('.')) continue;
      const p = join(dir, e);
      const st = statSync(p);
      if (st.isDirectory()) yield* walk(p);
      else if (e.endsWith('.test.ts')) yield p;
    }
  };
  yield* walk(join(root, 'test'));
  yield* walk(join(root, 'packages'));
  yield* walk(join(root, 'apps'));
}

/**
 * Reads the code table from the source (not dist, so a stale build cannot hide a new code):
 * each entry is `NAME: r(...)` or `NAME: retired(r(...), 'reason')`.
 */
export function readCodes(tableSrc: string): Map<string, { retired: string | null }> {
  const codes = new Map<string, { retired: string | null }>();
  const body = stripComments(tableSrc);
  const re = /^\s*([A-Z][A-Z0-9_]+):\s*(retired\(\s*)?r\(/gm;
  let m;
  while ((m = re.exec(body))) {
    let reason: string | null = null;
    if (m[2]) {
      // The retirement reason is the last string literal inside retired( ... ): found by matching
      // parentheses (string literals skipped), so a line break anywhere in the entry is fine.
      let depth = 0;
      let i = m.index + m[0].length - 2; // at the '(' of r(
      const open = body.lastIndexOf('retired(', i) + 'retired'.length;
      const strs: string[] = [];
      for (i = open; i < body.length; i++) {
        const c = body[i];
        if (c === "'" || c === '"' || c === '`') {
          let j = i + 1;
          while (j < body.length && body[j] !== c) j += body[j] === '\\' ? 2 : 1;
          strs.push(body.slice(i + 1, j));
          i = j;
          continue;
        }
        if (c === '(') depth++;
        if (c === ')' && --depth === 0) break;
      }
      reason = strs.at(-1) ?? '';
    }
    if (m[1] !== undefined) codes.set(m[1], { retired: reason });
  }
  return codes;
}

export function coverage(root: string): {
  codes: Map<string, { retired: string | null }>;
  raisedBy: Map<string, string[]>;
  missing: string[];
  retiredButTested: string[];
} {
  const codes = readCodes(readFileSync(join(root, 'packages/contracts/src/reason-codes.ts'), 'utf8'));
  const raisedBy = new Map<string, string[]>([...codes.keys()].map((k) => [k, []]));
  const testsOf = (code: string): string[] => raisedBy.get(code) ?? [];
  for (const f of testFiles(root)) {
    const text = stripTitles(stripComments(readFileSync(f, 'utf8')));
    for (const code of codes.keys()) {
      if (assertsCode(text, code)) testsOf(code).push(relative(root, f));
    }
  }
  const missing: string[] = [];
  const retiredButTested: string[] = [];
  for (const [code, { retired }] of codes) {
    const by = testsOf(code);
    if (retired !== null && by.length > 0) retiredButTested.push(code);
    if (retired === null && by.length === 0) missing.push(code);
  }
  return { codes, raisedBy, missing, retiredButTested };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = process.argv.slice(2);
  const rootIdx = args.indexOf('--root');
  const root = rootIdx >= 0 ? (args[rootIdx + 1] ?? '') : fileURLToPath(new URL('..', import.meta.url));
  const { codes, raisedBy, missing, retiredButTested } = coverage(root);
  if (args.includes('--list')) {
    for (const [code, { retired }] of codes) {
      const by = raisedBy.get(code) ?? [];
      const tag = retired !== null ? ` [retired: ${retired}]` : '';
      console.log(`${code}${tag}: ${by.length ? by.join(', ') : '-'}`);
    }
  }
  for (const c of retiredButTested) console.log(`note: ${c} is retired but still named by a test`);
  const total = codes.size;
  const retiredCount = [...codes.values()].filter((v) => v.retired !== null).length;
  if (missing.length > 0) {
    console.log(`reason-code coverage: ${missing.length} of ${total} codes are raised by no test and not retired:`);
    for (const c of missing) console.log(`  ${c}`);
    process.exit(1);
  }
  console.log(`reason-code coverage: ${total - retiredCount} of ${total} codes raised by a test, ${retiredCount} retired`);
}
