/** The machine and the versions a result was measured with (every `--json` carries them). */

import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os';
import type { MachineInfo } from './result.js';

function hdrVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('hdr-histogram-js/package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function machineInfo(evqVersion: string, evqCommit: string | null = null): MachineInfo {
  const cpuList = cpus();
  return {
    platform: platform(),
    arch: arch(),
    cpus: availableParallelism(),
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    versions: { node: process.versions.node, v8: process.versions.v8, evq: evqVersion, hdrHistogram: hdrVersion(), evqCommit },
  };
}
