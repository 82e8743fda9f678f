// The load generator as a library: a scenario in, a result out. It never prints; src/cli/ renders results.
export { parseScenario, configOf, benchTopic, SCENARIO_DEFAULTS, SCENARIO_LIMITS, type Scenario, type ScenarioInput } from './scenario.js';
export { runBench, assignClients, type BenchProgress, type RunOptions } from './runner.js';
export { LatencyHistogram, PERCENTILES, type EncodedHistogram, type LatencySummary } from './histogram.js';
export { parseThreshold, evaluateThresholds, THRESHOLD_OPS, type Threshold } from './thresholds.js';
export { SequenceVerifier, VERDICT, type Verdict, type VerifierCounts } from './verifier.js';
export { Pacer, PaceTimer, NOT_YET, DONE, type PaceOptions } from './pacer.js';
export { isMatch, matchCount, matchPpm, MATCH_SCALE } from './match.js';
export { STAMP_BYTES, STAMP_HEADER, readStamp, readStampHex, writeStamp, type Stamp } from './stamp.js';
export { monoMs } from './time.js';
export type { ConnectFn } from './node.js';
export * from './result.js';
