import { readFileSync } from 'node:fs';

/** evq's version, read from its package.json. */
export function evqVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
