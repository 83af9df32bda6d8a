/** What attacker code did, and the narrow guest interfaces the process environments run on. */
export * from './guest.ts';
export * from './trace.ts';
export * from './network-endpoint.ts';
export * from './sockaddr.ts';
export { GuestHeap, RegionAllocator } from './guest-allocators.ts';
export { PagedGuestMemory } from './paged-memory.ts';
export { RegisterFileCpu } from './register-file-cpu.ts';
export { CpuGuest, CpuMemoryView } from './cpu-adapter.ts';
export * from './disassembly.ts';
