import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** evq's version, read from its package.json. */
export function evqVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * The git commit evq runs from when it runs from a git checkout (or worktree), read from `.git` without running
 * git; null otherwise (an installed package).
 */
export function evqCommit(): string | null {
  try {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    let gitDir = join(root, '.git');
    if (statSync(gitDir).isFile()) {
      const target = /^gitdir: (.+)$/m.exec(readFileSync(gitDir, 'utf8'))?.[1];
      if (target === undefined) return null;
      gitDir = resolve(root, target.trim());
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (SHA.test(head)) return head;
    const ref = /^ref: (refs\/[\w./-]+)$/.exec(head)?.[1];
    if (ref === undefined || ref.includes('..')) return null;
    const commonFile = join(gitDir, 'commondir');
    const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const file = join(dir, ref);
      if (existsSync(file)) {
        const sha = readFileSync(file, 'utf8').trim();
        if (SHA.test(sha)) return sha;
      }
    }
    const packed = join(common, 'packed-refs');
    if (!existsSync(packed)) return null;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && sha !== undefined && SHA.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}

/** The command line as typed, for a report: the value of --token masked. */
export function maskedCommand(args: readonly string[]): string[] {
  const out = ['evq'];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--token' && i + 1 < args.length) {
      out.push(arg, '***');
      i++;
    } else out.push(arg.startsWith('--token=') ? '--token=***' : arg);
  }
  return out;
}
