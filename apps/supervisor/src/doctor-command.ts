import { resolve } from 'node:path';
import { formatConfigError, loadConfigFile, loadExchangeSecrets } from '@vigil/runtime';
import type { JsonObject, JsonValue } from '@vigil/contracts';
import { runDoctor, type CheckResult } from './doctor.js';
import { EXIT } from './start.js';

/** `supervisor doctor`: prints the checklist (a table, or JSON) and exits 0 only when releasable. */
export async function doctorCommand(
  o: { readonly config?: string | undefined; readonly json: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const loaded = loadConfigFile(o.config ?? env['VIGIL_CONFIG'] ?? null, { MODE: env['MODE'], AI_DEC: env['AI_DEC'] });
  if (!loaded.ok) {
    process.stderr.write(`supervisor doctor: ${formatConfigError(loaded.error)}\n`);
    return EXIT.CONFIG_INVALID;
  }
  const config = loaded.config;
  const varDir = resolve(config.paths.var_dir);
  const sec = loadExchangeSecrets(resolve(varDir, config.live.secrets_file), env);
  const report = await runDoctor({
    config,
    varDir,
    env,
    secrets: sec.ok ? sec.secrets : null,
    secretsProblem: sec.ok ? null : { code: sec.code, message: sec.message },
  });
  if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else
    process.stdout.write(
      formatReport(report.checks, report.releasable, report.bot_running, process.stdout.isTTY === true) + formatConfig(report.config, report.config_defaults),
    );
  return report.releasable ? EXIT.OK : EXIT.FAILURE;
}

export function formatReport(checks: readonly CheckResult[], releasable: boolean, running: boolean, colour: boolean): string {
  const paint = (s: string, status: CheckResult['status']): string => {
    if (!colour) return s;
    const code = status === 'OK' ? 32 : status === 'WARN' ? 33 : status === 'FAIL' ? 31 : 90;
    return `\u001b[${code}m${s}\u001b[0m`;
  };
  const cols = ['section', 'item', 'status', 'value', 'threshold', 'reason'] as const;
  const rows = checks.map((c) => [c.section, c.item, c.status, c.value, c.threshold, c.reason ?? '']);
  const width = cols.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const cut = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (r: readonly string[]): string => r.map((v, i) => cut(v, width[i]!)).join('  ');
  const out = [line(cols), line(width.map((w) => '-'.repeat(w)))];
  for (let i = 0; i < rows.length; i++) out.push(paint(line(rows[i]!), checks[i]!.status));
  const fails = checks.filter((c) => c.status === 'FAIL').length;
  const warns = checks.filter((c) => c.status === 'WARN').length;
  out.push(
    '',
    `${releasable ? 'RELEASABLE' : 'NOT RELEASABLE'}: ${fails} FAIL, ${warns} WARN${running ? ' (a bot is running on this configuration)' : ''}`,
    '',
  );
  return out.join('\n');
}

/**
 * The effective configuration, secrets redacted, as dotted keys: the keys that differ from the
 * schema defaults are listed, the rest counted (all of them are in `--json`).
 */
export function formatConfig(config: JsonObject, defaults: JsonObject): string {
  const flat = (o: JsonValue, prefix: string, out: Map<string, string>): Map<string, string> => {
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) for (const [k, v] of Object.entries(o)) flat(v, prefix ? `${prefix}.${k}` : k, out);
    else out.set(prefix, JSON.stringify(o));
    return out;
  };
  const eff = flat(config, '', new Map());
  const def = flat(defaults, '', new Map());
  const changed = [...eff].filter(([k, v]) => def.get(k) !== v);
  const lines = ['effective configuration (secrets redacted; every key in --json):'];
  for (const [k, v] of changed) lines.push(`  ${k} = ${v}`);
  lines.push(`  (${eff.size - changed.length} more keys at their defaults)`, '');
  return lines.join('\n');
}
