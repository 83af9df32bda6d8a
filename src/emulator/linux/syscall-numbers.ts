/**
 * Linux system call numbers for i386 (`int 0x80`, arch/x86/entry/syscalls/syscall_32.tbl) and
 * x86-64 (`syscall`, syscall_64.tbl): the calls attacker code makes, by name.
 */

export type SyscallName =
  | 'read' | 'write' | 'open' | 'openat' | 'close' | 'creat' | 'unlink' | 'chmod' | 'mkdir' | 'chdir'
  | 'execve' | 'execveat' | 'exit' | 'exit_group' | 'fork' | 'vfork' | 'clone' | 'wait4' | 'waitpid' | 'kill'
  | 'getpid' | 'getuid' | 'geteuid' | 'setuid' | 'setgid' | 'setreuid' | 'setregid' | 'setresuid' | 'setresgid' | 'setsid'
  | 'dup' | 'dup2' | 'dup3' | 'pipe' | 'fcntl' | 'ioctl' | 'lseek' | 'brk' | 'alarm' | 'pause' | 'uname'
  | 'mmap' | 'old_mmap' | 'mmap2' | 'munmap' | 'mprotect' | 'nanosleep' | 'rt_sigaction' | 'sigaction' | 'select' | 'poll'
  | 'socketcall' | 'socket' | 'connect' | 'bind' | 'listen' | 'accept' | 'accept4' | 'sendto' | 'recvfrom'
  | 'sendmsg' | 'recvmsg' | 'shutdown' | 'setsockopt' | 'getsockopt' | 'getsockname' | 'getpeername' | 'socketpair';

export const I386_SYSCALLS: Readonly<Record<number, SyscallName>> = {
  1: 'exit', 2: 'fork', 3: 'read', 4: 'write', 5: 'open', 6: 'close', 7: 'waitpid', 8: 'creat', 10: 'unlink',
  11: 'execve', 12: 'chdir', 15: 'chmod', 19: 'lseek', 20: 'getpid', 23: 'setuid', 24: 'getuid', 27: 'alarm',
  29: 'pause', 37: 'kill', 39: 'mkdir', 41: 'dup', 42: 'pipe', 45: 'brk', 46: 'setgid', 49: 'geteuid', 54: 'ioctl',
  55: 'fcntl', 63: 'dup2', 66: 'setsid', 67: 'sigaction', 70: 'setreuid', 71: 'setregid', 90: 'old_mmap', 91: 'munmap',
  102: 'socketcall', 114: 'wait4', 120: 'clone', 122: 'uname', 125: 'mprotect', 142: 'select', 162: 'nanosleep',
  164: 'setresuid', 168: 'poll', 170: 'setresgid', 174: 'rt_sigaction', 190: 'vfork', 192: 'mmap2', 221: 'fcntl',
  252: 'exit_group', 295: 'openat', 330: 'dup3', 358: 'execveat', 359: 'socket', 360: 'socketpair', 361: 'bind',
  362: 'connect', 363: 'listen', 364: 'accept4', 365: 'getsockopt', 366: 'setsockopt', 367: 'getsockname',
  368: 'getpeername', 369: 'sendto', 370: 'sendmsg', 371: 'recvfrom', 372: 'recvmsg', 373: 'shutdown',
};

export const X86_64_SYSCALLS: Readonly<Record<number, SyscallName>> = {
  0: 'read', 1: 'write', 2: 'open', 3: 'close', 8: 'lseek', 9: 'mmap', 10: 'mprotect', 11: 'munmap', 12: 'brk',
  13: 'rt_sigaction', 16: 'ioctl', 22: 'pipe', 23: 'select', 32: 'dup', 33: 'dup2', 34: 'pause', 35: 'nanosleep',
  37: 'alarm', 39: 'getpid', 41: 'socket', 42: 'connect', 43: 'accept', 44: 'sendto', 45: 'recvfrom', 46: 'sendmsg',
  47: 'recvmsg', 48: 'shutdown', 49: 'bind', 50: 'listen', 51: 'getsockname', 52: 'getpeername', 53: 'socketpair',
  54: 'setsockopt', 55: 'getsockopt', 56: 'clone', 57: 'fork', 58: 'vfork', 59: 'execve', 60: 'exit', 61: 'wait4',
  62: 'kill', 63: 'uname', 72: 'fcntl', 80: 'chdir', 83: 'mkdir', 85: 'creat', 87: 'unlink', 90: 'chmod', 102: 'getuid',
  105: 'setuid', 106: 'setgid', 107: 'geteuid', 112: 'setsid', 113: 'setreuid', 114: 'setregid', 117: 'setresuid',
  119: 'setresgid', 231: 'exit_group', 257: 'openat', 288: 'accept4', 292: 'dup3', 322: 'execveat',
};

/** socketcall(2) sub-call numbers (include/uapi/linux/net.h) */
export const SOCKETCALL: Readonly<Record<number, SyscallName>> = {
  1: 'socket', 2: 'bind', 3: 'connect', 4: 'listen', 5: 'accept', 6: 'getsockname', 7: 'getpeername',
  8: 'socketpair', 9: 'sendto', 10: 'recvfrom', 11: 'sendto', 12: 'recvfrom', 13: 'shutdown', 14: 'setsockopt',
  15: 'getsockopt', 16: 'sendmsg', 17: 'recvmsg', 18: 'accept4',
};

/** socketcall 9 (send) and 10 (recv) take four arguments; sendto/recvfrom (11/12) six. */
export const SOCKETCALL_SEND = 9;
export const SOCKETCALL_RECV = 10;
