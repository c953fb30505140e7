/**
 * Writes small synthetic ELF files for tests: a header and program headers (and optionally raw section
 * headers), so expectations can be computed by hand instead of depending on this machine's binaries.
 */
export interface Phdr {
  p_type: number;
  p_flags: number;
  p_offset: bigint;
  p_vaddr: bigint;
  p_filesz: bigint;
  p_memsz: bigint;
  p_align: bigint;
}

export interface ElfSpec {
  is64: boolean;
  littleEndian?: boolean;
  e_type: number;
  e_machine: number;
  e_entry: bigint;
  phdrs: Phdr[];
  /** Total file size (zero-filled past the headers). */
  size: number;
  /** Bytes to place at given offsets. */
  patches?: { offset: number; bytes: Uint8Array }[];
}

export function makeElf(spec: ElfSpec): Uint8Array {
  const le = spec.littleEndian ?? true;
  const buf = new Uint8Array(spec.size);
  const v = new DataView(buf.buffer);
  const ehsize = spec.is64 ? 64 : 52;
  const phentsize = spec.is64 ? 56 : 32;
  buf.set([0x7f, 0x45, 0x4c, 0x46, spec.is64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  v.setUint16(16, spec.e_type, le);
  v.setUint16(18, spec.e_machine, le);
  v.setUint32(20, 1, le);
  const word = (off: number, val: bigint) =>
    spec.is64 ? v.setBigUint64(off, val, le) : v.setUint32(off, Number(val), le);
  const w = spec.is64 ? 8 : 4;
  word(24, spec.e_entry);
  word(24 + w, BigInt(ehsize)); // e_phoff
  word(24 + 2 * w, 0n); // e_shoff
  const o = 24 + 3 * w;
  v.setUint16(o + 4, ehsize, le);
  v.setUint16(o + 6, phentsize, le);
  v.setUint16(o + 8, spec.phdrs.length, le);
  v.setUint16(o + 10, spec.is64 ? 64 : 40, le);
  spec.phdrs.forEach((p, i) => {
    const at = ehsize + i * phentsize;
    v.setUint32(at, p.p_type, le);
    if (spec.is64) {
      v.setUint32(at + 4, p.p_flags, le);
      v.setBigUint64(at + 8, p.p_offset, le);
      v.setBigUint64(at + 16, p.p_vaddr, le);
      v.setBigUint64(at + 24, p.p_vaddr, le);
      v.setBigUint64(at + 32, p.p_filesz, le);
      v.setBigUint64(at + 40, p.p_memsz, le);
      v.setBigUint64(at + 48, p.p_align, le);
    } else {
      v.setUint32(at + 4, Number(p.p_offset), le);
      v.setUint32(at + 8, Number(p.p_vaddr), le);
      v.setUint32(at + 12, Number(p.p_vaddr), le);
      v.setUint32(at + 16, Number(p.p_filesz), le);
      v.setUint32(at + 20, Number(p.p_memsz), le);
      v.setUint32(at + 24, p.p_flags, le);
      v.setUint32(at + 28, Number(p.p_align), le);
    }
  });
  for (const p of spec.patches ?? []) buf.set(p.bytes, p.offset);
  return buf;
}
