// Types of fuzz-core.mjs for test/malformed.test.ts.
export interface FuzzFailure {
  seed: number;
  fixture: string;
  mutations: string[];
  kind: "hang" | "crash" | "internal error" | "memory";
  view?: string[];
  message?: string;
}
export interface FuzzCounts {
  mutations: number;
  views: number;
  ok: number;
  cleanErrors: number;
  internalErrors: number;
  hangs: number;
  crashes: number;
  unavailable: number;
}
export const VIEWS: string[][];
export function viewLabel(view: string[]): string;
export function mutate(
  seed: number,
  fixtures: { name: string; bytes: Uint8Array }[],
): { seed: number; fixture: string; bytes: Uint8Array; mutations: string[] };
export function loadFixtures(): { name: string; bytes: Uint8Array }[];
export function runFuzz(options?: {
  seed?: number;
  count?: number;
  seconds?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
  rssGrowthLimitMb?: number;
  views?: string[][];
  onProgress?: (counts: FuzzCounts, index: number) => void;
  onMutant?: (mutant: { seed: number; fixture: string; bytes: Uint8Array; mutations: string[] }) => void;
}): Promise<{
  counts: FuzzCounts;
  failures: FuzzFailure[];
  maxRssMb: number;
  rssGrowthMb: number;
  unavailable: string[];
}>;
export const TRACE_VIEWS: string[][];
export const TRACE_RUNS: string;
export interface TraceRun {
  name: string;
  files: Record<string, Uint8Array>;
}
export interface TraceMutant {
  seed: number;
  fixture: string;
  files: Record<string, Uint8Array>;
  mutations: string[];
}
export function loadTraceRuns(): TraceRun[];
export function mutateRun(seed: number, runs: TraceRun[]): TraceMutant;
export function writeRun(dir: string, mutant: TraceMutant): void;
export function runTraceFuzz(options?: {
  seed?: number;
  count?: number;
  seconds?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
  rssGrowthLimitMb?: number;
  views?: string[][];
  onProgress?: (counts: FuzzCounts, index: number) => void;
  onMutant?: (mutant: TraceMutant) => void;
}): Promise<{
  counts: FuzzCounts;
  failures: FuzzFailure[];
  maxRssMb: number;
  rssGrowthMb: number;
  unavailable: string[];
}>;
