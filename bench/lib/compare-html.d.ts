/** Types of compare-html.js for the TypeScript tests that import it. */
export declare function writeCompareHtml(path: string, result: Record<string, unknown>, runs?: { command: string; file: string }[]): void;
