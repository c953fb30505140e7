// Types for readme-examples.mjs, for the TypeScript tests that import it.
export interface LiveProcess {
  pid: number;
  libcText: bigint;
}
export interface Example {
  name: string;
  compare?: "shape" | "libraries";
  needsProcess?: boolean;
  commands(live: Partial<LiveProcess>): string[];
}
export const EXAMPLES: Example[];
export function runExample(example: Example): Promise<string>;
export function shapeOf(text: string): string;
export function comparable(example: Example, text: string): string;
export function readmeBlocks(readme: string): Map<string, string>;
export function withBlocks(readme: string, texts: Map<string, string>): string;
