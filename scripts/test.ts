// `npm test`: every check and the whole suite.
//
// The build comes first (the suite runs the built packages). Then the suite starts, and beside it
// the static checks (the type-check of every source, test and script as one program, import
// layering, eslint, prettier --check, reason-code coverage), two at a time, at a lower CPU priority
// (nice 10): the suite leaves the cores idle for about a quarter of its run (its integration tests
// wait on sockets and timers), and the checks take that idle time instead of adding their ~80 s of
// CPU in front of it. At nice 10 a check gets about a tenth of a core that a test wants, so the
// tests' timing bounds see little of them. A failing check stops the suite at once (a lint error
// still costs a minute, not a whole run). A check's output is held until the suite ends (or until
// it fails), so two logs never interleave. The skip allow-list is judged from the suite's JSON
// report whenever the suite wrote one, failed or not.
//
// Each step is an `npm run` script of package.json, so the commands (and the lint warning ratchet)
// live in one place. Exits 1 if any step failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** Written by test:summary (each failed test and its first error lines); printed last here. */
const failedTests = join(root, 'test/artifacts/failed-tests.txt');

/** A finished step. */
interface Outcome {
  readonly script: string;
  readonly ok: boolean;
  readonly seconds: number;
}

/** A step that is running: its outcome when it ends, its held output, and a way to stop it. */
interface Running {
  readonly done: Promise<Outcome>;
  readonly output: () => string;
  readonly stop: () => void;
}

// Longest first (seconds of CPU alone: eslint 15.0 on 2026-12-07; prettier with oxc 10.5 and the
// type-check on TypeScript 7 6.5 on 2026-12-06; reason coverage and layering 1 each), so the last to
// start are short.
const CHECKS: readonly string[] = ['lint', 'format:check', 'typecheck', 'reason-coverage:check', 'check-layers'];

/** The checks' CPU priority beside the suite (0 = the suite's own; 19 = the lowest). */
const CHECK_NICE = 10;

// Every step runs in its own process group, which a Ctrl-C at the terminal does not reach: pass it on.
const live = new Set<() => void>();
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    for (const stop of live) stop();
    process.exit(130);
  });

function start(script: string, o: { buffered: boolean; nice?: number; env?: Record<string, string> }): Running {
  const started = performance.now();
  // Its own process group, so stopping it stops npm's children (vitest's forks, tsc) too.
  const child = spawn(npm, ['run', '--silent', script], {
    cwd: root,
    stdio: o.buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    detached: true,
    env: { ...process.env, ...o.env },
  });
  if (o.nice !== undefined && child.pid !== undefined) {
    try {
      // Set before npm has started its own child (it takes ~0.2 s to load), which inherits it.
      setPriority(child.pid, o.nice);
    } catch {
      /* not permitted here: the check runs at the suite's priority */
    }
  }
  const out: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => out.push(b));
  let why: string | undefined;
  const done = new Promise<Outcome>((resolve) => {
    const finish = (ok: boolean, reason?: string): void => {
      why ??= reason;
      resolve({ script, ok, seconds: (performance.now() - started) / 1000 });
    };
    child.on('error', (e) => finish(false, `could not start: ${e.message}`));
    child.on('close', (code, signal) => finish(code === 0, code === 0 ? undefined : `exit ${code ?? signal}`));
  });
  const output = (): string => {
    const text = Buffer.concat(out).toString('utf8');
    return (text.trim() === '' ? '' : text.endsWith('\n') ? text : `${text}\n`) + (why !== undefined ? `${script}: ${why}\n` : '');
  };
  const stop = (): void => {
    why = 'stopped';
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already ended */
    }
  };
  live.add(stop);
  void done.then(() => live.delete(stop));
  return { done, output, stop };
}

const header = (o: Outcome): string => `\n== ${o.script}: ${o.ok ? 'ok' : 'FAILED'} (${o.seconds.toFixed(1)} s)\n`;

/** Runs the checks on at most `slots` processes at once; `onFail` is called at the first failure. */
async function runChecks(scripts: readonly string[], slots: number, onFail: (o: Outcome, text: string) => void): Promise<{ outcome: Outcome; text: string }[]> {
  const results: { outcome: Outcome; text: string }[] = [];
  const waiting = [...scripts];
  const worker = async (): Promise<void> => {
    for (let s = waiting.shift(); s !== undefined; s = waiting.shift()) {
      const r = start(s, { buffered: true, nice: CHECK_NICE });
      const outcome = await r.done;
      const text = r.output();
      results.push({ outcome, text });
      if (!outcome.ok) onFail(outcome, text);
    }
  };
  await Promise.all(Array.from({ length: slots }, worker));
  return scripts.map((s) => results.find((r) => r.outcome.script === s) ?? { outcome: { script: s, ok: false, seconds: 0 }, text: '' });
}

const t0 = performance.now();
const outcomes: Outcome[] = [];
const build = start('build', { buffered: true });
const built = await build.done;
outcomes.push(built);
process.stdout.write(header(built) + build.output());
if (built.ok) {
  const report = join(root, 'test/artifacts/vitest.json');
  // A report left by an earlier run must not be judged as this run's.
  rmSync(report, { force: true });
  rmSync(failedTests, { force: true });
  // Every temporary directory the suite makes (var dirs, SQLite files, configs, the processes it
  // spawns: about 150 per run) goes under one scratch directory of this run, removed when the suite
  // passed (or was stopped by a failed check) and kept, named, when it failed. Left in the system's tmpdir they added up to 24 GB here.
  const scratch = mkdtempSync(join(tmpdir(), 'vigil-test-run-'));
  process.stdout.write('\n== test:vitest (the checks run beside it; their output follows the suite)\n');
  const suite = start('test:vitest', { buffered: false, env: { TMPDIR: scratch } });
  let failedCheck = false;
  const checks = runChecks(CHECKS, Math.max(2, availableParallelism()), (o, text) => {
    process.stdout.write(`${header(o)}${text}\nA check failed: the suite is stopped.\n`);
    if (!failedCheck) suite.stop();
    failedCheck = true;
  });
  const [suiteOutcome, checkResults] = await Promise.all([suite.done, checks]);
  for (const r of checkResults) if (r.outcome.ok) process.stdout.write(header(r.outcome) + r.text);
  outcomes.push(...checkResults.map((r) => r.outcome), suiteOutcome);
  // A suite stopped by a failed check has nothing to show: its files go too.
  if (suiteOutcome.ok || failedCheck) rmSync(scratch, { recursive: true, force: true });
  else process.stdout.write(`\nThe suite's temporary files are kept for a look: ${scratch}\n`);
  if (!failedCheck && existsSync(report)) {
    const summary = start('test:summary', { buffered: false });
    outcomes.push(await summary.done);
  } else outcomes.push({ script: 'test:summary', ok: false, seconds: 0 });
} else {
  process.stdout.write('\nThe build failed: nothing else was run.\n');
}
process.stdout.write(`\n== npm test: seconds per step (the checks ran beside the suite, at nice ${CHECK_NICE})\n`);
for (const o of outcomes) process.stdout.write(`${o.ok ? 'ok    ' : 'FAILED'} ${o.seconds.toFixed(1).padStart(6)}  ${o.script}\n`);
process.stdout.write(`total  ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}\n`);
// Repeated here so the tail of a CI log names what failed.
if (existsSync(failedTests)) {
  const text = readFileSync(failedTests, 'utf8');
  if (text !== '') process.stdout.write(`\n== the failed tests (vitest's account is above)\n${text}`);
}
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
