// `npm test`: every check and the whole suite, with the independent checks side by side.
//
// The static checks (import layering, eslint, prettier --check, the type-checks of test/ and
// scripts/, reason-code coverage) are single-threaded and need nothing from each other (the
// type-checks need the build), so they share the cores instead of running one after the other. Their
// output is held until each finishes, so two logs never interleave. The suite runs only when every
// check has passed (as before: a lint error costs seconds, not a whole run), alone, because its
// integration tests wait on sockets and timers that a busy machine stretches. The skip allow-list is
// judged from the suite's JSON report whenever the suite wrote one, failed or not.
//
// Each step is an `npm run` script of package.json, so the commands (and the lint warning ratchet)
// live in one place. Exits 1 if any step failed.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** One `npm run` script; `after` names the steps that must have passed before it starts. */
interface Step {
  readonly script: string;
  readonly after?: readonly string[];
}

/** A finished step. */
interface Outcome {
  readonly script: string;
  readonly ok: boolean;
  readonly seconds: number;
}

// Longest first (seconds of CPU in a fresh clone, measured 2026-12-06), so the last to start are short.
const CHECKS: readonly Step[] = [
  { script: 'build' },
  { script: 'typecheck:test', after: ['build'] },
  { script: 'format:check' },
  { script: 'lint' },
  { script: 'typecheck:scripts', after: ['build'] },
  { script: 'reason-coverage:check' },
  { script: 'check-layers' },
];

function run(script: string, buffered: boolean): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '--silent', script], { cwd: root, stdio: buffered ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    const out: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => out.push(b));
    const finish = (ok: boolean, why?: string): void => {
      const seconds = (performance.now() - started) / 1000;
      if (buffered) {
        process.stdout.write(`\n== ${script}: ${ok ? 'ok' : 'FAILED'} (${seconds.toFixed(1)} s)\n`);
        const text = Buffer.concat(out).toString('utf8');
        if (text.trim() !== '') process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      }
      if (why !== undefined) process.stdout.write(`${script}: ${why}\n`);
      resolve({ script, ok, seconds });
    };
    child.on('error', (e) => finish(false, `could not start: ${e.message}`));
    child.on('close', (code, signal) => finish(code === 0, code === 0 ? undefined : `exit ${code ?? signal}`));
  });
}

/** Runs the steps on at most `slots` processes at once, each when its `after` steps have passed. */
async function runPool(steps: readonly Step[], slots: number): Promise<Outcome[]> {
  const done = new Map<string, Outcome>();
  const waiting = [...steps];
  const running = new Set<Promise<void>>();
  while (waiting.length > 0 || running.size > 0) {
    // A step whose prerequisite failed is not run: it is reported as failed.
    for (let i = 0; i < waiting.length;) {
      const s = waiting[i] as Step;
      const failed = (s.after ?? []).find((a) => done.get(a)?.ok === false);
      if (failed !== undefined) {
        process.stdout.write(`\n== ${s.script}: not run (${failed} failed)\n`);
        done.set(s.script, { script: s.script, ok: false, seconds: 0 });
        waiting.splice(i, 1);
      } else i++;
    }
    const ready = waiting.find((s) => (s.after ?? []).every((a) => done.get(a)?.ok === true));
    if (ready !== undefined && running.size < slots) {
      waiting.splice(waiting.indexOf(ready), 1);
      const p: Promise<void> = run(ready.script, true).then((o) => {
        done.set(o.script, o);
        running.delete(p);
      });
      running.add(p);
      continue;
    }
    if (running.size === 0) break;
    await Promise.race(running);
  }
  return steps.map((s) => done.get(s.script) ?? { script: s.script, ok: false, seconds: 0 });
}

const started = performance.now();
const outcomes = await runPool(CHECKS, Math.max(2, availableParallelism()));
if (outcomes.every((o) => o.ok)) {
  const report = join(root, 'test/artifacts/vitest.json');
  // A report left by an earlier run must not be judged as this run's.
  rmSync(report, { force: true });
  process.stdout.write('\n== test:vitest\n');
  outcomes.push(await run('test:vitest', false));
  if (existsSync(report)) outcomes.push(await run('test:summary', false));
  else outcomes.push({ script: 'test:summary', ok: false, seconds: 0 });
} else {
  process.stdout.write('\nA check failed: the suite was not run.\n');
}
process.stdout.write('\n== npm test: seconds per step (the checks ran side by side)\n');
for (const o of outcomes) process.stdout.write(`${o.ok ? 'ok    ' : 'FAILED'} ${o.seconds.toFixed(1).padStart(6)}  ${o.script}\n`);
process.stdout.write(`total  ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}\n`);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
