/** Types of scripts/check-imports.js (a plain ES module run by node; `npm run lint` runs it). */
export declare const LAYERS: Record<string, string[]>;
export declare function checkImports(src?: string): { files: number; edges: number; problems: string[] };
