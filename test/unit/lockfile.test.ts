import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The lockfile pins each registry package by tarball URL and integrity. Without "resolved", `npm ci`
 * fetches every package's registry document to find its tarball (321 requests here, some of 10 MB):
 * 47-49 s of one fresh clone's `npm ci` here. The project's .npmrc keeps npm from dropping the URLs again
 * (this machine's user config sets omit-lockfile-registry-resolved).
 */
type Entry = { readonly version?: string; readonly resolved?: string; readonly integrity?: string; readonly link?: boolean; readonly name?: string };
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, Entry> };
const npmrc = readFileSync(new URL('../../.npmrc', import.meta.url), 'utf8');

describe('package-lock.json', () => {
  const installed = Object.entries(lock.packages).filter(([path, e]) => path.includes('node_modules/') && e.link !== true);

  it('gives every installed registry package its tarball URL (name and version) and an sha512 integrity', () => {
    expect(installed.length).toBeGreaterThan(100);
    const wrong = installed.filter(([path, e]) => {
      const name = e.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const file = `${name.slice(name.indexOf('/') + 1)}-${e.version ?? '?'}.tgz`;
      return e.resolved !== `https://registry.npmjs.org/${name}/-/${file}` || !e.integrity?.startsWith('sha512-');
    });
    expect(wrong.map(([path]) => path)).toEqual([]);
  });

  it('is kept that way: the project .npmrc turns off omit-lockfile-registry-resolved', () => {
    expect(npmrc).toMatch(/^omit-lockfile-registry-resolved=false$/m);
  });
});
