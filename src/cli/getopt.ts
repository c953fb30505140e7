// GNU getopt_long as binutils' nm and objdump use it: permuting (options and files mixed), short
// option clusters (`-tx`, `-jNAME`), long options abbreviated to any unique prefix, `--opt=value`,
// `--` ending the options, and getopt's own messages for what it rejects.

export type ArgKind = "none" | "required" | "optional";

/** One entry of a program's long_options table: name, argument kind, and the key `apply` receives. */
export type LongOption = [name: string, kind: ArgKind, key: string];

/** A usage mistake getopt reported: the caller prints its usage. */
export class UsageError extends Error {}
/** A fatal message of the program's own (`nm: ...`). */
export class FatalError extends Error {}
/** An option the program's help lists that anatomy does not implement: refused with one line. */
export class UnsupportedError extends Error {}

export interface GetoptSpec {
  /** The program name getopt's messages start with. */
  program: string;
  /** In the program's table order: getopt lists ambiguous matches in this order. */
  long: LongOption[];
  shortWithArg: Set<string>;
  shortNoArg: Set<string>;
  /** Short options whose argument is optional and must be attached (`-Wi`): objdump's -W. */
  shortOptionalArg?: Set<string>;
  /** Called for each option found, before its argument is taken: throw UnsupportedError to refuse it. */
  refuse?: (key: string, spelled: string) => void;
}

/**
 * Walks `args`, calling `apply(key, value, spelled)` for each option and collecting the operands in
 * `files`. Throws UsageError after writing getopt's message for a bad option.
 */
export function getoptLong(
  args: string[],
  spec: GetoptSpec,
  err: (m: string) => void,
  apply: (key: string, value: string | undefined, spelled: string) => void,
  files: string[],
): void {
  const fail = (message: string): never => {
    err(`${spec.program}: ${message}\n`);
    throw new UsageError();
  };
  let i = 0;
  while (i < args.length) {
    const a = args[i++]!;
    if (a === "--") {
      files.push(...args.slice(i));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let found = spec.long.find((x) => x[0] === name);
      if (!found) {
        const matches = spec.long.filter((x) => x[0].startsWith(name));
        // Abbreviations of names that mean the same option are not ambiguous.
        const distinct = matches.filter(
          (m, k) => matches.findIndex((x) => x[1] === m[1] && x[2] === m[2]) === k,
        );
        if (distinct.length > 1)
          fail(
            `option '--${name}' is ambiguous; possibilities:${matches.map((m) => ` '--${m[0]}'`).join("")}`,
          );
        found = matches[0];
      }
      if (!found) fail(`unrecognized option '${a}'`);
      const [full, kind, key] = found!;
      spec.refuse?.(key, `--${full}`);
      let value: string | undefined;
      if (eq >= 0) {
        if (kind === "none") fail(`option '--${full}' doesn't allow an argument`);
        value = a.slice(eq + 1);
      } else if (kind === "required") {
        if (i >= args.length) fail(`option '--${full}' requires an argument`);
        value = args[i++];
      }
      apply(key, value, `--${full}`);
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      for (let k = 1; k < a.length; k++) {
        const c = a[k]!;
        if (spec.shortOptionalArg?.has(c)) {
          spec.refuse?.(c, `-${c}`);
          apply(c, k + 1 < a.length ? a.slice(k + 1) : undefined, `-${c}`);
          break;
        }
        if (spec.shortWithArg.has(c)) {
          spec.refuse?.(c, `-${c}`);
          let value: string | undefined;
          if (k + 1 < a.length) value = a.slice(k + 1);
          else if (i < args.length) value = args[i++]!;
          else fail(`option requires an argument -- '${c}'`);
          apply(c, value, `-${c}`);
          break;
        }
        if (!spec.shortNoArg.has(c)) fail(`invalid option -- '${c}'`);
        spec.refuse?.(c, `-${c}`);
        apply(c, undefined, `-${c}`);
      }
      continue;
    }
    files.push(a);
  }
}

/**
 * The exit status for what parsing threw, after saying it: usage (status 1), the program's fatal
 * message, or anatomy's one-line refusal. Anything else is not a parse failure and is rethrown.
 */
export function reportParseFailure(
  program: string,
  usage: string,
  e: unknown,
  err: (m: string) => void,
): number {
  if (e instanceof UsageError) {
    err(usage);
    return 1;
  }
  if (e instanceof FatalError) {
    err(`${program}: ${e.message}\n`);
    return 1;
  }
  if (e instanceof UnsupportedError) {
    err(`anatomy: ${program}: ${e.message} is not supported yet\n`);
    return 1;
  }
  throw e;
}
