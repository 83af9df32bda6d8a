import { CrashtestError } from '../../core/index.ts';
import type { GuestMemory } from './guest.ts';

const PAGE_SIZE = 0x1000;

interface Page {
  bytes: Uint8Array;
  perms: number;
  name: string;
}

/**
 * A sparse page-table memory implementing `GuestMemory`. The process builders and their tests use
 * it on their own; under the CPU, the CPU's memory takes its place through the adapter.
 */
export class PagedGuestMemory implements GuestMemory {
  private readonly pages = new Map<number, Page>();

  map(address: number, size: number, perms: number, name = ''): void {
    const first = Math.floor(address / PAGE_SIZE);
    const last = Math.floor((address + Math.max(size, 1) - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) {
      const existing = this.pages.get(page);
      if (existing) existing.perms = perms;
      else this.pages.set(page, { bytes: new Uint8Array(PAGE_SIZE), perms, name });
    }
  }

  unmap(address: number, size: number): void {
    const first = Math.floor(address / PAGE_SIZE);
    const last = Math.floor((address + Math.max(size, 1) - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) this.pages.delete(page);
  }

  protect(address: number, size: number, perms: number): void {
    const first = Math.floor(address / PAGE_SIZE);
    const last = Math.floor((address + Math.max(size, 1) - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) {
      const existing = this.pages.get(page);
      if (existing) existing.perms = perms;
    }
  }

  permissions(address: number): number | undefined {
    return this.pages.get(Math.floor(address / PAGE_SIZE))?.perms;
  }

  isMapped(address: number, length = 1): boolean {
    const first = Math.floor(address / PAGE_SIZE);
    const last = Math.floor((address + Math.max(length, 1) - 1) / PAGE_SIZE);
    for (let page = first; page <= last; page++) if (!this.pages.has(page)) return false;
    return true;
  }

  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const page = this.page(address + done);
      const offset = (address + done) % PAGE_SIZE;
      const chunk = Math.min(length - done, PAGE_SIZE - offset);
      out.set(page.bytes.subarray(offset, offset + chunk), done);
      done += chunk;
    }
    return out;
  }

  write(address: number, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const page = this.page(address + done);
      const offset = (address + done) % PAGE_SIZE;
      const chunk = Math.min(bytes.length - done, PAGE_SIZE - offset);
      page.bytes.set(bytes.subarray(done, done + chunk), offset);
      done += chunk;
    }
  }

  readU8(address: number): number {
    return this.page(address).bytes[address % PAGE_SIZE]!;
  }

  readU16(address: number): number {
    return this.readU8(address) | (this.readU8(address + 1) << 8);
  }

  readU32(address: number): number {
    return (this.readU16(address) | (this.readU16(address + 2) << 16)) >>> 0;
  }

  readU64(address: number): bigint {
    return BigInt(this.readU32(address)) | (BigInt(this.readU32(address + 4)) << 32n);
  }

  writeU8(address: number, value: number): void {
    this.page(address).bytes[address % PAGE_SIZE] = value & 0xff;
  }

  writeU16(address: number, value: number): void {
    this.writeU8(address, value);
    this.writeU8(address + 1, value >>> 8);
  }

  writeU32(address: number, value: number): void {
    this.writeU16(address, value & 0xffff);
    this.writeU16(address + 2, (value >>> 16) & 0xffff);
  }

  writeU64(address: number, value: bigint): void {
    const unsigned = BigInt.asUintN(64, value);
    this.writeU32(address, Number(unsigned & 0xffffffffn));
    this.writeU32(address + 4, Number(unsigned >> 32n));
  }

  private page(address: number): Page {
    const page = this.pages.get(Math.floor(address / PAGE_SIZE));
    if (!page) {
      throw new CrashtestError('CT_ERR_INVALID_ARGUMENT', `guest address 0x${address.toString(16)} is not mapped`, {
        address,
      });
    }
    return page;
  }
}
