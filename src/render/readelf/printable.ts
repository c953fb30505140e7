/** readelf's printable_section_name: control chars as ^X, other non-ASCII bytes as <XX>, 256 chars max. */
export function printableName(name: string): string {
  let out = "";
  let remaining = 256;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      if (remaining < 2) break;
      out += `^${String.fromCharCode((c + 0x40) & 0xff)}`;
      remaining -= 2;
    } else if (c < 0x7f) {
      out += name[i];
      remaining -= 1;
    } else {
      if (remaining < 4) break;
      out += `<${c.toString(16).toUpperCase().padStart(2, "0")}>`;
      remaining -= 4;
    }
    if (remaining === 0) break;
  }
  return out;
}
