import { Perm, type GuestMemory } from './guest.ts';

/**
 * Copies attacker code onto the stack, as a stack overflow leaves it, and makes the stack
 * executable (no DEP on the old systems such exploits target). Returns the code's address; start
 * the thread with the stack pointer at the entry (`jmp esp` lands there), so code that rebuilds
 * itself relative to esp (Slammer sends itself from the stack) finds its bytes.
 */
export function loadCodeOnStack(memory: GuestMemory, stackLimit: number, stackTop: number, bytes: Uint8Array): number {
  const top = stackTop - 0x1000;
  const base = Math.max(stackLimit + 0x10000, top - Math.ceil((bytes.length + 0x100) / 0x10) * 0x10);
  memory.protect(stackLimit, stackTop - stackLimit, Perm.RWX);
  memory.write(base, bytes.subarray(0, Math.min(bytes.length, top - base)));
  return base;
}
