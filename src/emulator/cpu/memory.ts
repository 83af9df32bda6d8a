/**
 * Sparse paged guest memory: 4 KiB pages in a Map keyed by page number, each with r/w/x permissions.
 *
 * Addresses are plain numbers (doubles). Every user-mode address of a 32-bit process and every
 * canonical lower-half address of a 64-bit one (< 2^47) is exact; a canonical upper-half (kernel)
 * address is the negative number it is as a signed 64-bit value (0xfffff800_00000000 is -2^43), so it
 * is exact too; anything at or above 2^53 or below -2^47 is treated as unmapped and faults. The accessors used by the CPU throw a {@link MemoryFault}
 * (a plain object, no stack trace) that the CPU's run loop turns into a `fault` stop; the `*Bytes`
 * helpers for environments return booleans instead.
 */
import type { Instruction } from './instruction.ts';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_EXEC = 4;
export const PERM_RWX = 7;

const TWO_32 = 4294967296;
const MAX_ADDRESS = 2 ** 53;
/** the lowest canonical upper-half address, as a signed number */
const MIN_ADDRESS = -(2 ** 47);
const MAX_INSTRUCTION_LENGTH = 15;

export type FaultKind = 'unmapped_read' | 'unmapped_write' | 'unmapped_fetch' | 'protection_read' | 'protection_write' | 'protection_fetch';

/** Thrown inside the CPU only; the run loop catches it and ends the run with reason `fault`. */
export class MemoryFault {
  constructor(
    readonly address: number,
    readonly kind: FaultKind,
  ) {}
}

export class Page {
  readonly data = new Uint8Array(PAGE_SIZE);
  /** decoded instructions by page offset; null until code is fetched from this page */
  code: (Instruction | undefined)[] | null = null;
  /** page offsets of the first and last decoded instruction start, so most writes skip the clearing */
  codeLow = PAGE_SIZE;
  codeHigh = -1;
  /** one byte per page byte: 1 where the guest wrote and nothing ran since, 2 where written bytes
   *  then ran (only with `Memory.trackWrites`; null until the first tracked write) */
  written: Uint8Array | null = null;
  constructor(public perm: number) {}
}

export interface MemoryOptions {
  /** mapping past this many bytes is refused and `limitExceeded` is set */
  maxMappedBytes?: number;
}

export interface MemoryRegion {
  address: number;
  size: number;
  perm: number;
}

function pageNumber(address: number): number {
  return address < TWO_32 && address >= 0 ? address >>> PAGE_SHIFT : Math.floor(address / PAGE_SIZE);
}

function markWritten(page: Page, offset: number, length: number): void {
  const written = (page.written ??= new Uint8Array(PAGE_SIZE));
  const end = Math.min(offset + length, PAGE_SIZE);
  for (let k = offset; k < end; k++) written[k] = 1;
}

export class Memory {
  readonly pages = new Map<number, Page>();
  readonly maxMappedBytes: number;
  mappedBytes = 0;
  /** set when a map() was refused for the byte limit; the CPU ends the run with `memory_limit` */
  limitExceeded = false;
  /**
   * Remember which bytes the guest (not the environment) wrote, so the CPU can tell the
   * environment when written bytes first run (`onFirstExecuteOfWritten`). Off by default: it costs
   * a little on every guest write.
   */
  trackWrites = false;

  private readPn = NaN; // page -1 is a real (kernel) page
  private readPage: Page | null = null;
  private writePn = NaN;
  private writePage: Page | null = null;

  constructor(options: MemoryOptions = {}) {
    this.maxMappedBytes = options.maxMappedBytes ?? 256 * 1024 * 1024; // 256 MiB
  }

  /** Maps [address, address+size) rounded out to pages; already-mapped pages keep contents and get `perm`. */
  map(address: number, size: number, perm: number = PERM_RWX): boolean {
    const first = pageNumber(address);
    const last = pageNumber(address + Math.max(size, 1) - 1);
    let added = 0;
    for (let pn = first; pn <= last; pn++) if (!this.pages.has(pn)) added += PAGE_SIZE;
    if (this.mappedBytes + added > this.maxMappedBytes) {
      this.limitExceeded = true;
      return false;
    }
    for (let pn = first; pn <= last; pn++) {
      const page = this.pages.get(pn);
      if (page) {
        page.perm = perm;
        this.invalidatePage(pn);
      } else this.pages.set(pn, new Page(perm));
    }
    this.mappedBytes += added;
    this.flushTlb();
    return true;
  }

  unmap(address: number, size: number): void {
    const first = pageNumber(address);
    const last = pageNumber(address + Math.max(size, 1) - 1);
    for (let pn = first; pn <= last; pn++) {
      if (this.pages.delete(pn)) this.mappedBytes -= PAGE_SIZE;
      this.invalidatePage(pn);
    }
    this.flushTlb();
  }

  protect(address: number, size: number, perm: number): boolean {
    const first = pageNumber(address);
    const last = pageNumber(address + Math.max(size, 1) - 1);
    for (let pn = first; pn <= last; pn++) if (!this.pages.has(pn)) return false;
    for (let pn = first; pn <= last; pn++) {
      this.pages.get(pn)!.perm = perm;
      this.invalidatePage(pn);
    }
    this.flushTlb();
    return true;
  }

  isExecutable(address: number): boolean {
    const page = this.pages.get(pageNumber(address));
    return page !== undefined && (page.perm & PERM_EXEC) !== 0;
  }

  isMapped(address: number): boolean {
    return this.pages.has(pageNumber(address));
  }

  /** The mapped regions, adjacent pages of equal permission merged. */
  regions(): MemoryRegion[] {
    const numbers = [...this.pages.keys()].sort((a, b) => a - b);
    const out: MemoryRegion[] = [];
    for (const pn of numbers) {
      const perm = this.pages.get(pn)!.perm;
      const previous = out[out.length - 1];
      if (previous && previous.address + previous.size === pn * PAGE_SIZE && previous.perm === perm) previous.size += PAGE_SIZE;
      else out.push({ address: pn * PAGE_SIZE, size: PAGE_SIZE, perm });
    }
    return out;
  }

  /** Page for an instruction fetch, or a thrown fault. */
  fetchPage(address: number): Page {
    if (address < MIN_ADDRESS || address >= MAX_ADDRESS) throw new MemoryFault(address, 'unmapped_fetch');
    const page = this.pages.get(pageNumber(address));
    if (!page) throw new MemoryFault(address, 'unmapped_fetch');
    if ((page.perm & PERM_EXEC) === 0) throw new MemoryFault(address, 'protection_fetch');
    return page;
  }

  private pageForRead(address: number): Page {
    const pn = address < TWO_32 && address >= 0 ? address >>> PAGE_SHIFT : Math.floor(address / PAGE_SIZE);
    if (pn === this.readPn) return this.readPage!;
    if (address < MIN_ADDRESS || address >= MAX_ADDRESS) throw new MemoryFault(address, 'unmapped_read');
    const page = this.pages.get(pn);
    if (!page) throw new MemoryFault(address, 'unmapped_read');
    if ((page.perm & PERM_READ) === 0) throw new MemoryFault(address, 'protection_read');
    this.readPn = pn;
    this.readPage = page;
    return page;
  }

  private pageForWrite(address: number, length: number): Page {
    const pn = address < TWO_32 && address >= 0 ? address >>> PAGE_SHIFT : Math.floor(address / PAGE_SIZE);
    let page: Page;
    if (pn === this.writePn) page = this.writePage!;
    else {
      if (address < MIN_ADDRESS || address >= MAX_ADDRESS) throw new MemoryFault(address, 'unmapped_write');
      const found = this.pages.get(pn);
      if (!found) throw new MemoryFault(address, 'unmapped_write');
      if ((found.perm & PERM_WRITE) === 0) throw new MemoryFault(address, 'protection_write');
      this.writePn = pn;
      this.writePage = page = found;
    }
    // self-modifying code: a write to a page we decoded from drops the decoded instructions that
    // may cover the written bytes — a decoder unpacking the page it runs from keeps its loop cached
    if (page.code !== null) this.invalidateBytes(pn, page, address & 0xfff, length);
    if (this.trackWrites) markWritten(page, address & 0xfff, length);
    return page;
  }

  /**
   * True when the guest wrote any of [address, address + length) since it last ran there; clears
   * the marks, so the next call is false until the guest writes the bytes again.
   */
  takeWritten(address: number, length: number): boolean {
    let found = false;
    for (let k = 0; k < length; k++) {
      const page = this.pages.get(pageNumber(address + k));
      const written = page?.written;
      if (!written) continue;
      const offset = (address + k) & 0xfff;
      if (written[offset] === 1) {
        written[offset] = 2;
        found = true;
      }
    }
    return found;
  }

  /** How many bytes of [address, address + length) the guest wrote (run since or not). */
  countWritten(address: number, length: number): number {
    let count = 0;
    for (let k = 0; k < length; k++) {
      const written = this.pages.get(pageNumber(address + k))?.written;
      if (written && written[(address + k) & 0xfff] !== 0) count++;
    }
    return count;
  }

  private invalidateBytes(pn: number, page: Page, offset: number, length: number): void {
    const first = Math.max(page.codeLow, offset - MAX_INSTRUCTION_LENGTH + 1);
    const last = Math.min(page.codeHigh, offset + length - 1);
    const code = page.code!;
    for (let k = first; k <= last; k++) code[k] = undefined;
    if (offset < MAX_INSTRUCTION_LENGTH - 1) {
      // instructions at the end of the previous page may run into this one
      const previous = this.pages.get(pn - 1);
      if (previous && previous.code !== null) {
        for (let k = PAGE_SIZE - (MAX_INSTRUCTION_LENGTH - 1 - offset); k < PAGE_SIZE; k++) previous.code[k] = undefined;
      }
    }
  }

  private invalidatePage(pn: number): void {
    const page = this.pages.get(pn);
    const previous = this.pages.get(pn - 1);
    if (page && page.code !== null) page.code = null;
    if (previous && previous.code !== null) previous.code = null;
  }

  private flushTlb(): void {
    this.readPn = NaN;
    this.readPage = null;
    this.writePn = NaN;
    this.writePage = null;
  }

  read8(address: number): number {
    return this.pageForRead(address).data[address & 0xfff]!;
  }

  read16(address: number): number {
    const offset = address & 0xfff;
    if (offset <= PAGE_SIZE - 2) {
      const data = this.pageForRead(address).data;
      return data[offset]! | (data[offset + 1]! << 8);
    }
    return this.read8(address) | (this.read8(address + 1) << 8);
  }

  read32(address: number): number {
    const offset = address & 0xfff;
    if (offset <= PAGE_SIZE - 4) {
      const data = this.pageForRead(address).data;
      return (data[offset]! | (data[offset + 1]! << 8) | (data[offset + 2]! << 16) | (data[offset + 3]! << 24)) >>> 0;
    }
    return (this.read16(address) | (this.read16(address + 2) << 16)) >>> 0;
  }

  write8(address: number, value: number): void {
    this.pageForWrite(address, 1).data[address & 0xfff] = value;
  }

  write16(address: number, value: number): void {
    const offset = address & 0xfff;
    if (offset <= PAGE_SIZE - 2) {
      const data = this.pageForWrite(address, 2).data;
      data[offset] = value;
      data[offset + 1] = value >>> 8;
      return;
    }
    // check both pages before writing either, so a faulting write changes nothing
    this.pageForWrite(address + 1, 1);
    this.write8(address, value);
    this.write8(address + 1, value >>> 8);
  }

  write32(address: number, value: number): void {
    const offset = address & 0xfff;
    if (offset <= PAGE_SIZE - 4) {
      const data = this.pageForWrite(address, 4).data;
      data[offset] = value;
      data[offset + 1] = value >>> 8;
      data[offset + 2] = value >>> 16;
      data[offset + 3] = value >>> 24;
      return;
    }
    this.pageForWrite(address + 3, 1);
    this.pageForWrite(address, 1);
    for (let k = 0; k < 4; k++) this.write8(address + k, value >>> (8 * k));
  }

  /** Reads `length` bytes for the CPU (faults on unmapped or unreadable memory). */
  readInto(address: number, target: Uint8Array, length: number): void {
    for (let k = 0; k < length; k++) target[k] = this.read8(address + k);
  }

  /** Writes bytes for the CPU; every page is checked first so a fault leaves memory unchanged. */
  writeFrom(address: number, source: Uint8Array, length: number): void {
    for (let k = 0; k < length; k += PAGE_SIZE - ((address + k) & 0xfff)) this.pageForWrite(address + k, 1);
    if (length > 0) this.pageForWrite(address + length - 1, 1);
    for (let k = 0; k < length; k++) this.write8(address + k, source[k]!);
  }

  /** Environment helper: copies bytes out ignoring permissions; null when any byte is unmapped. */
  readBytes(address: number, length: number): Uint8Array | null {
    const out = new Uint8Array(length);
    for (let k = 0; k < length; k++) {
      const page = this.pages.get(pageNumber(address + k));
      if (!page) return null;
      out[k] = page.data[(address + k) & 0xfff]!;
    }
    return out;
  }

  /** Environment helper: copies bytes in ignoring permissions; false (nothing written) when any byte is unmapped. */
  writeBytes(address: number, bytes: Uint8Array): boolean {
    for (let k = 0; k < bytes.length; k++) if (!this.pages.has(pageNumber(address + k))) return false;
    for (let k = 0; k < bytes.length; k++) {
      const pn = pageNumber(address + k);
      const page = this.pages.get(pn)!;
      page.data[(address + k) & 0xfff] = bytes[k]!;
      if (page.code !== null) this.invalidatePage(pn);
    }
    return true;
  }

  /** Environment helper: a NUL-terminated string (latin1 or UTF-16LE), at most `max` characters. */
  readString(address: number, max = 4096, wide = false): string | null {
    let out = '';
    const step = wide ? 2 : 1;
    for (let k = 0; k < max; k++) {
      const bytes = this.readBytes(address + k * step, step);
      if (!bytes) return null;
      const code = wide ? bytes[0]! | (bytes[1]! << 8) : bytes[0]!;
      if (code === 0) return out;
      out += String.fromCharCode(code);
    }
    return out;
  }
}
