import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at the size it has now for the rest of the process, for `evq produce` reading a
 * stream. By default the semi-spaces double (up to 16 MB each on 64-bit, 32 MB of RSS for the young
 * generation alone) as soon as enough has survived scavenges, which any long run of small allocations reaches:
 * ten million lines from a pipe took the peak RSS from 60 MB to 112 MB, a third of it an empty young
 * generation. The producer lets go of a batch's messages once it is encoded, so almost nothing survives a
 * scavenge and small semi-spaces cost little time (10,000,000 lines: 74 MB, as fast).
 *
 * `--max-semi-space-size` cannot do this once the heap is configured (it is read at start-up only, and
 * re-spawning node for it would double the start-up time); the growth factor is read at every growth.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
