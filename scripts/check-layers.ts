// Import layering: contracts <- core <- {runtime, matching} <- {audit, gateway, engine} <- apps.
// A module may import its own package or a package on a LOWER layer; the three worker packages
// (audit, gateway, engine) share a layer and never import each other. Checked for every literal
// import/export-from/import()/require()/require.resolve() in packages/*/src and apps/*/src
// (tests in src included: a test is code of its package), by package name (@vigil/x, @vigil/x/sub)
// and by relative paths that reach into another package's directory; and for the @vigil/*
// dependencies each package.json declares. Exits 1 listing every violation.
//
// EXCEPTIONS are known violations kept visible until they are fixed, each with its reason; an
// exception that no longer occurs is reported as stale (exit 1) so the list cannot rot.
//
// Usage: node --import tsx scripts/check-layers.ts [--root DIR]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { walkFiles } from './lib/walk.ts';

export const LAYERS: Readonly<Record<string, number>> = {
  contracts: 0,
  core: 1,
  // The venue's matching rules (simulator and experiments): pure, on contracts and core only.
  matching: 2,
  runtime: 2,
  audit: 3,
  gateway: 3,
  engine: 3,
  // apps: 4 (every directory under apps/)
};
const APP_LAYER = 4;

/** An import from one package into another that the layering does not allow. */
export interface Violation {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly spec: string;
}
/** A known violation kept visible until it is fixed, with the reason it stays. */
export interface LayerException {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly why: string;
}
export interface Package {
  readonly dir: string;
  readonly layer: number;
  readonly name: string;
  readonly group: 'packages' | 'apps';
}

/** Known violations: `from` package -> `to` package, in `file` (relative to the root), and why it stays for now. */
export const EXCEPTIONS: readonly LayerException[] = [];

/** The package's own modules (declaration files are not imports). */
const sources = (dir: string): Generator<string> => walkFiles(dir, { file: (e) => /\.(ts|mts|cts|mjs|js|cjs)$/.test(e) && !e.endsWith('.d.ts') });

/** Module specifiers of literal imports (comments removed first, so a commented import does not count). */
export function specifiers(src: string): string[] {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const re =
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1|\bimport\s*(['"])([^'"]+)\3|\b(?:import|require|require\.resolve)\s*\(\s*(['"])([^'"]+)\5\s*\)/g;
  let m;
  while ((m = re.exec(code))) {
    const spec = m[2] ?? m[4] ?? m[6];
    if (spec !== undefined) out.push(spec);
  }
  return out;
}

export function packagesOf(root: string): Map<string, Package> {
  const pkgs = new Map<string, Package>(); // short name -> package
  for (const group of ['packages', 'apps'] as const) {
    let dirs: string[] = [];
    try {
      dirs = readdirSync(join(root, group));
    } catch {
      continue;
    }
    for (const d of dirs) {
      const pj = join(root, group, d, 'package.json');
      if (!existsSync(pj)) continue;
      const name = (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name ?? `@vigil/${d}`;
      const short = name.replace(/^@vigil\//, '');
      const layer = group === 'apps' ? APP_LAYER : LAYERS[short];
      if (layer === undefined) throw new Error(`${group}/${d}: package ${name} has no layer in scripts/check-layers.ts`);
      pkgs.set(short, { dir: resolve(root, group, d), layer, name, group });
    }
  }
  return pkgs;
}

function allowed(from: string, to: string, pkgs: Map<string, Package>): boolean {
  if (from === to) return true;
  const a = pkgs.get(from);
  const b = pkgs.get(to);
  if (!a || !b) return true; // not ours
  return b.layer < a.layer;
}

export function check(
  root: string,
  exceptions: readonly LayerException[] = EXCEPTIONS,
): { pkgs: Map<string, Package>; violations: Violation[]; unexpected: Violation[]; stale: LayerException[] } {
  const pkgs = packagesOf(root);
  const violations: Violation[] = [];
  const owner = (abs: string): string | null => {
    for (const [short, p] of pkgs) if (abs === p.dir || abs.startsWith(p.dir + sep)) return short;
    return null;
  };
  for (const [short, p] of pkgs) {
    for (const file of sources(join(p.dir, 'src'))) {
      const rel = relative(root, file);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        let to: string | null = null;
        const m = /^@vigil\/([a-z0-9-]+)(?:\/|$)/.exec(spec);
        if (m?.[1] !== undefined) to = m[1];
        else if (spec.startsWith('.')) to = owner(resolve(dirname(file), spec));
        if (to === null || allowed(short, to, pkgs)) continue;
        violations.push({ file: rel, from: short, to, spec });
      }
    }
    const pj = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dep of Object.keys(pj[field] ?? {})) {
        const m = /^@vigil\/([a-z0-9-]+)$/.exec(dep);
        if (m?.[1] !== undefined && !allowed(short, m[1], pkgs))
          violations.push({ file: relative(root, join(p.dir, 'package.json')), from: short, to: m[1], spec: `${field}: ${dep}` });
      }
    }
  }
  const isExcepted = (v: Violation): boolean => exceptions.some((e) => e.file === v.file && e.from === v.from && e.to === v.to);
  const unexpected = violations.filter((v) => !isExcepted(v));
  const stale = exceptions.filter((e) => !violations.some((v) => v.file === e.file && v.from === e.from && v.to === e.to));
  return { pkgs, violations, unexpected, stale };
}

const layerName = (p: Package): string => (p.group === 'apps' ? 'apps' : String(p.layer));

/** What the command prints for `root`, and whether it passes (exit 0) or fails (exit 1). */
export function layeringReport(root: string, exceptions: readonly LayerException[]): { readonly lines: string[]; readonly ok: boolean } {
  const { pkgs, violations, unexpected, stale } = check(root, exceptions);
  const lines: string[] = [];
  for (const v of violations.filter((x) => !unexpected.includes(x))) {
    const e = exceptions.find((x) => x.file === v.file && x.from === v.from && x.to === v.to);
    lines.push(`known exception: ${v.file}: ${v.from} imports ${v.to} (${v.spec}) — ${e?.why}`);
  }
  for (const v of unexpected) {
    // Both exist: check() reports only imports between packages it found.
    const a = pkgs.get(v.from) as Package;
    const b = pkgs.get(v.to) as Package;
    const kind =
      a.layer === b.layer && a.layer === LAYERS.audit ? 'worker packages never import each other' : `layer ${layerName(b)} is not below layer ${layerName(a)}`;
    lines.push(`LAYER VIOLATION: ${v.file}: ${v.from} imports ${v.to} (${v.spec}): ${kind}`);
  }
  for (const e of stale) lines.push(`STALE EXCEPTION: ${e.file}: ${e.from} -> ${e.to} no longer occurs; remove it from scripts/check-layers.ts`);
  if (unexpected.length > 0 || stale.length > 0) return { lines, ok: false };
  lines.push(
    `import layering OK: ${pkgs.size} packages, contracts <- core <- {runtime, matching} <- {audit, gateway, engine} <- apps${violations.length ? ` (${violations.length} known exception${violations.length > 1 ? 's' : ''})` : ''}`,
  );
  return { lines, ok: true };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--root');
  const rootArg = i >= 0 ? args[i + 1] : undefined;
  if (i >= 0 && rootArg === undefined) {
    console.error('usage: node --import tsx scripts/check-layers.ts [--root DIR]');
    process.exit(1);
  }
  const root = rootArg !== undefined ? resolve(rootArg) : fileURLToPath(new URL('..', import.meta.url));
  // The exceptions name this repository's files: a synthetic --root (the script's own test) has none.
  const { lines, ok } = layeringReport(root, i >= 0 ? [] : EXCEPTIONS);
  for (const l of lines) console.log(l);
  if (!ok) process.exit(1);
}
