#!/usr/bin/env node
import { Command, CommanderError } from 'commander';

/** EX_USAGE (sysexits.h): start.ts's EXIT.USAGE, not imported from there (each command's module loads only when it runs). */
const USAGE_EXIT = 64;

// Each command's module is loaded when that command runs: loading all of them cost every process
// about 0.5 s of CPU (the doctor's and the experiments' module graphs), which a restarting bot pays
// inside its protection bound.
const start = () => import('./start.js');
const operatorCommand = async (...a: Parameters<typeof import('./control/command.js').operatorCommand>) =>
  (await import('./control/command.js')).operatorCommand(...a);

const program = new Command();
program.name('supervisor').description('Vigil: fail-closed 24/7 trading bot for Binance Spot (Live-only)');
// A command line commander refuses (a missing required option, an unknown option or command) exits
// 64 (EX_USAGE, as `experiments` does for its own checks), not 1: for `replay` and `verify-audit`, 1
// means a divergence or a broken chain, and a typo in a script must not read as either. Set before
// the commands are added: they inherit it.
program.exitOverride();

program
  .command('start')
  .description('start the supervisor and its workers (requires MODE=LIVE, AI_DEC=2, --live, and var/LIVE.ok when enabled)')
  .option('--live', 'confirm that orders are real', false)
  .option('-c, --config <file>', 'configuration file (JSON); default: $VIGIL_CONFIG or built-in defaults')
  .action(async (opts: { live: boolean; config?: string }) => {
    const { EXIT, startCommand } = await start();
    process.exitCode = await startCommand({ live: opts.live, config: opts.config });
    // Timers of a refused or stopped run must not keep the process alive.
    if (process.exitCode !== EXIT.OK) process.exit(process.exitCode);
  });

program
  .command('verify-audit')
  .description(
    'walk the audit hash chain read-only: the monthly archives in var/data/archive, then var/data/audit.sqlite from their anchor; then compare its rows with their JSONL mirror lines in var/jsonl (exit 0 when intact)',
  )
  .option('-c, --config <file>', 'configuration file (for paths.var_dir)')
  .action(async (opts: { config?: string }) => {
    process.exitCode = await (await start()).verifyAuditCommand(opts.config);
  });

program
  .command('restore')
  .description('replace var/data/audit.sqlite by a verified backup (refused while the bot runs; the current database is moved aside, never deleted)')
  .requiredOption('--from <file>', 'the backup file (var/backup/audit-<time>.sqlite)')
  .option('--var <dir>', 'runtime directory (default: paths.var_dir of the configuration)')
  .option('-c, --config <file>', 'configuration file (for paths.var_dir and the audit settings)')
  .action(async (opts: { from: string; var?: string; config?: string }) => {
    const { restoreCommand } = await import('./restore-command.js');
    process.exit(restoreCommand({ from: opts.from, ...(opts.var ? { varDir: opts.var } : {}), ...(opts.config ? { config: opts.config } : {}) }));
  });

program
  .command('doctor')
  .description('run the Live checklist as code: exit 0 only when entries could be released (reads only)')
  .option('-c, --config <file>', 'configuration file (JSON); default: $VIGIL_CONFIG or built-in defaults')
  .option('--json', 'machine-readable output', false)
  .action(async (opts: { config?: string; json: boolean }) => {
    const { doctorCommand } = await import('./doctor-command.js');
    process.exitCode = await doctorCommand({ config: opts.config, json: opts.json });
    process.exit(process.exitCode);
  });

program
  .command('experiments')
  .description('offline evaluation of the strategy over kline CSV files (refuses while a supervisor runs Live on the same var/)')
  .option('-c, --config <file>', 'configuration file (JSON): strategy defaults and var_dir')
  .option('--data <files...>', 'Binance kline CSV files (public data layout)')
  .option('--grid <json>', 'parameter grid, e.g. {"lookback_bars":[10,20],"stop_vol_mult":["1.5","2"]}')
  .option('--threads <n>', 'worker threads (default: all cores)')
  .option('--out <dir>', 'report directory (default: var/experiments/<time>)')
  .option('--generate <file>', 'write a seeded synthetic kline CSV instead of running')
  .option('--bars <n>', 'bars to generate', '10000')
  .option('--seed <n>', 'seed of the generator', '1')
  .option(
    '--gate-verdicts <file>',
    'recorded AI gate verdicts ({"<decision_id>": "ALLOW"|"BLOCK"}; a decision without one is blocked). Default: every decision allowed',
  )
  .option('--progress', 'show the progress bar on stderr even when it is not a terminal')
  .action(
    async (opts: {
      config?: string;
      data?: string[];
      grid?: string;
      threads?: string;
      out?: string;
      generate?: string;
      gateVerdicts?: string;
      progress?: boolean;
      bars: string;
      seed: string;
    }) => {
      const { experimentsCommand } = await import('./experiments/command.js');
      process.exitCode = await experimentsCommand(opts);
      process.exit(process.exitCode);
    },
  );

program
  .command('replay')
  .description(
    "re-run a run's recorded inputs (bars, AI verdicts, venue replies, timers, operator state) through the engine's pure decision functions and check every command and audited output comes out identical, after the hash chain and the JSONL mirror (exit 0 identical, 1 on the first divergence)",
  )
  .requiredOption('--var <dir>', 'runtime directory holding data/audit.sqlite')
  .option('--run <run_id>', 'the run to replay (default: the newest with recordings)')
  .action(async (opts: { var: string; run?: string }) => {
    const { replayCommand } = await import('./replay-command.js');
    process.exit(await replayCommand({ varDir: opts.var, run: opts.run }));
  });

// Operator commands: to the running supervisor over var/run/control.sock, or into the audit of a
// stopped bot under the run lock. Each is audited (OPERATOR_PAUSED / OPERATOR_RESUMED / OPERATOR_NOTE).
program
  .command('pause')
  .description('raise the operator PAUSE (OPERATOR_PAUSE) with a reason; it holds across restarts until `resume`')
  .requiredOption('--reason <text>', 'why (one line, recorded in the audit)')
  .option('-c, --config <file>', 'configuration file (for paths.var_dir)')
  .action(async (opts: { reason: string; config?: string }) => {
    process.exit(await operatorCommand('pause', opts.reason, opts.config));
  });

program
  .command('resume')
  .description(
    'lift the operator PAUSE and the manual reasons an operator may clear; refused while automatic reasons force PAUSE/DEGRADE (exit 1), exit 4 when manual reasons still hold',
  )
  .requiredOption('--note <text>', 'what was checked or done (one line, recorded in the audit)')
  .option('-c, --config <file>', 'configuration file (for paths.var_dir)')
  .action(async (opts: { note: string; config?: string }) => {
    process.exit(await operatorCommand('resume', opts.note, opts.config));
  });

program
  .command('note')
  .description('record an operator note in the audit (e.g. the cause of an incident before a restart)')
  .argument('<text>', 'the note (one line)')
  .option('-c, --config <file>', 'configuration file (for paths.var_dir)')
  .action(async (text: string, opts: { config?: string }) => {
    process.exit(await operatorCommand('note', text, opts.config));
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Commander has written its message already; anything else is no command-line error. Its exit
  // code 0 is help asked for (`--help`, `help`) or the version: no usage error.
  if (!(e instanceof CommanderError)) throw e;
  process.exit(e.exitCode === 0 ? 0 : USAGE_EXIT);
}
