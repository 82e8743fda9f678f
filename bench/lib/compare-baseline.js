// @ts-check
// A baseline of evq from another commit, for the targets of bench/compare.js that hold today's evq against
// an earlier one: the commit's files (`git archive`, so the repository gets no worktree or branch of it) in
// a directory of the system's temp dir, built with this checkout's node_modules (a symlink) and its
// TypeScript. The build is kept and reused while its directory lives (keyed by the full commit hash).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The `bin/evq.js` of `commit`, built (minutes the first time, on a small machine).
 * @param {string} commit a commit hash (7 to 40 hex digits) of this repository
 * @param {(text: string) => void} [say] told what is being done
 * @returns {{ bin: string, dir: string, commit: string }}
 */
export function baselineBuild(commit, say = () => {}) {
  if (!/^[0-9a-f]{7,40}$/i.test(commit)) throw new Error(`EVQ_COMPARE_BASELINE must be a commit hash, got ${JSON.stringify(commit)}`);
  const full = execFileSync('git', ['rev-parse', '--verify', `${commit}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `evq-baseline-${full}`);
  const bin = join(dir, 'bin', 'evq.js');
  const marker = join(dir, '.evq-baseline-built');
  if (existsSync(marker) && existsSync(join(dir, 'dist', 'cli', 'main.js'))) {
    say(`baseline ${full.slice(0, 7)}: reusing the build in ${dir}`);
    return { bin, dir, commit: full };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`baseline ${full.slice(0, 7)}: extracting it into ${dir} and building it (tsc)`);
  try {
    execFileSync('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', ROOT, full, dir], { stdio: 'inherit' });
    const modules = realpathSync(join(ROOT, 'node_modules'));
    symlinkSync(modules, join(dir, 'node_modules'), 'dir');
    execFileSync(process.execPath, [join(modules, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: dir,
      stdio: 'inherit',
    });
    writeFileSync(marker, `${full}\n`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not build the baseline ${full.slice(0, 7)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { bin, dir, commit: full };
}
