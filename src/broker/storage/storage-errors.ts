/** The errors of the storage: failures of the disk and damage found in the logs. */
import { EvqError, EvqStorageError } from '../../errors.js';
import type { CorruptionReport } from './log.js';

/** A read reached a damaged range of a sealed segment. `report` names the file, the byte and the offsets. */
export class CorruptLogError extends EvqStorageError {
  override name = 'CorruptLogError';
  readonly report: CorruptionReport;

  constructor(report: CorruptionReport) {
    super('EVQ_ERR_CORRUPT_LOG', describeCorruption(report));
    this.report = report;
  }
}

/** One line that says what is damaged and what can still be read. */
export function describeCorruption(report: CorruptionReport): string {
  const range = report.fromOffset === report.toOffset ? `offset ${report.fromOffset}` : `offsets ${report.fromOffset}-${report.toOffset}`;
  return (
    `topic "${report.topic}": ${range} cannot be read: ${report.file} is damaged at byte ${report.position} ` +
    `(${report.reason}); reads from offset ${report.toOffset + 1} on still work`
  );
}

/** The error of a failed write, fsync, truncate or open: `EVQ_ERR_STORAGE`, with the system error as cause. */
export function storageFailure(topic: string, action: string, path: string, cause: unknown): EvqStorageError {
  if (cause instanceof EvqStorageError) return cause;
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const detail = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new EvqStorageError('EVQ_ERR_STORAGE', `topic "${topic}": could not ${action} ${path} (${detail})`, { cause });
}

/** The error of an operation on a closed log. */
export function logClosed(topic: string): EvqError {
  return new EvqError('EVQ_ERR_UNAVAILABLE', `topic "${topic}" is closed (the broker is stopping or the topic was deleted)`);
}
