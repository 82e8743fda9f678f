/** Types of bench/lib/lag-at-end.js. */
export declare function lagAtEnd(timeline: readonly { second: number; acked: number; delivered: number }[]): number;
