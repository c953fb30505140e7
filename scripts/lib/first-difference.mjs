// The first line two outputs differ on, for the comparison scripts' reports.

/** `line N:` and the two texts of that line, GNU's first; "same text" when they do not differ. */
export function firstDifference(ours, gnu) {
  const a = ours.split("\n");
  const e = gnu.split("\n");
  for (let i = 0; i < Math.max(a.length, e.length); i++)
    if (a[i] !== e[i])
      return `line ${i + 1}:\n      gnu:  ${JSON.stringify(e[i])}\n      ours: ${JSON.stringify(a[i])}`;
  return "same text";
}

/** How many of `got`'s lines are in `want`, counted as a multiset (a missing line spoils nothing else). */
export function linesInCommon(wantLines, gotLines) {
  const counts = new Map();
  for (const l of wantLines) counts.set(l, (counts.get(l) ?? 0) + 1);
  let same = 0;
  for (const l of gotLines) {
    const c = counts.get(l);
    if (c) {
      same++;
      counts.set(l, c - 1);
    }
  }
  return same;
}
