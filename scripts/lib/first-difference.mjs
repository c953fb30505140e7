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
