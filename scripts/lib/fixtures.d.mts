// Types for fixtures.mjs, for the TypeScript tests that import it.
export const ROOT: string;
export const FIXTURES: string;
export const GOLDEN: string;
export const ARCH_DIRS: string[];
export function listFixtures(): string[];
export function casesForFixture(fixture: string): unknown[];
