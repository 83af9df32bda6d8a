/** The emulated Linux process (i386 int 0x80 with socketcall, x86-64 syscall). */
export { LinuxProcess, type LinuxProcessOptions, type FileDescriptor } from './linux-process.ts';
export { I386_SYSCALLS, X86_64_SYSCALLS, SOCKETCALL, type SyscallName } from './syscall-numbers.ts';
