import { Perm, type GuestMemory } from './guest.ts';

const PAGE = 0x1000;

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * A heap inside one reserved range: bump allocation with 16-byte alignment, freed blocks kept in
 * a free list and reused first-fit. Pages are mapped as the bump pointer reaches them, so a heap
 * that is never used costs nothing. Returns 0 when the range is exhausted (a memory bomb ends here).
 */
export class GuestHeap {
  private next: number;
  private mappedEnd: number;
  private readonly sizes = new Map<number, number>();
  private readonly free: { address: number; size: number }[] = [];

  constructor(
    private readonly memory: GuestMemory,
    readonly base: number,
    readonly limit: number,
    private readonly name = 'heap',
  ) {
    this.next = base;
    this.mappedEnd = base;
  }

  allocate(size: number, zero = true): number {
    const rounded = alignUp(Math.max(size, 1), 16);
    const reuse = this.free.findIndex((block) => block.size >= rounded);
    if (reuse >= 0) {
      const block = this.free.splice(reuse, 1)[0]!;
      this.sizes.set(block.address, block.size);
      if (zero) this.memory.write(block.address, new Uint8Array(block.size));
      return block.address;
    }
    if (this.next + rounded > this.base + this.limit) return 0;
    const address = this.next;
    this.next += rounded;
    if (this.next > this.mappedEnd) {
      const end = alignUp(this.next, PAGE);
      this.memory.map(this.mappedEnd, end - this.mappedEnd, Perm.RW, this.name);
      this.mappedEnd = end;
    }
    this.sizes.set(address, rounded);
    return address;
  }

  release(address: number): boolean {
    const size = this.sizes.get(address);
    if (size === undefined) return false;
    this.sizes.delete(address);
    this.free.push({ address, size });
    return true;
  }

  sizeOf(address: number): number | undefined {
    return this.sizes.get(address);
  }

  get bytesInUse(): number {
    let total = 0;
    for (const size of this.sizes.values()) total += size;
    return total;
  }
}

/**
 * Page-granular regions for VirtualAlloc and mmap: a requested address is honoured when free,
 * otherwise the next free range at or above `base` is used. Refuses past `limitBytes` in total.
 */
export class RegionAllocator {
  private cursor: number;
  private total = 0;
  readonly regions = new Map<number, number>();

  constructor(
    private readonly memory: GuestMemory,
    readonly base: number,
    readonly end: number,
    private readonly limitBytes: number,
  ) {
    this.cursor = base;
  }

  allocate(size: number, perms: number, wanted = 0, name = 'region'): number {
    const rounded = alignUp(Math.max(size, 1), PAGE);
    if (this.total + rounded > this.limitBytes) return 0;
    let address = 0;
    if (wanted !== 0) {
      const aligned = Math.floor(wanted / PAGE) * PAGE;
      if (aligned >= 0x10000 && !this.overlapsMapped(aligned, rounded)) address = aligned;
      else if (this.memory.isMapped(aligned, rounded) && this.regions.has(aligned)) return aligned; // commit of a reserve
    }
    if (address === 0) {
      address = this.cursor;
      while (this.overlapsMapped(address, rounded)) address += 0x10000;
      if (address + rounded > this.end) return 0;
      this.cursor = alignUp(address + rounded, 0x10000);
    }
    this.memory.map(address, rounded, perms, name);
    this.regions.set(address, rounded);
    this.total += rounded;
    return address;
  }

  release(address: number): boolean {
    const size = this.regions.get(address);
    if (size === undefined) return false;
    this.memory.unmap(address, size);
    this.regions.delete(address);
    this.total -= size;
    return true;
  }

  private overlapsMapped(address: number, size: number): boolean {
    for (let page = address; page < address + size; page += PAGE) if (this.memory.isMapped(page)) return true;
    return false;
  }
}
