/**
 * The emulated dummies' insides: a pure-TypeScript x86/x86-64 CPU, the Windows and Linux process
 * environments around attacker code, the behaviour trace, the finder that locates code in
 * protocol bytes, and a JVM for the classes JNDI loads. Other folders import only this file.
 */
export * from './cpu/index.ts';
export * from './behaviour/index.ts';
export * from './windows/index.ts';
export * from './linux/index.ts';
export * from './finder/index.ts';
// Both the CPU and the guest interfaces name a StopReason; the CPU's is the run result's.
export type { StopReason } from './cpu/index.ts';
export type { StopReason as GuestStopReason } from './behaviour/index.ts';
export * from './windows-kernel/index.ts';
export * from './services/index.ts';
export * from './host/index.ts';
export * from './shell/index.ts';
export * from './jndi/index.ts';
export * from './jvm/index.ts';
export * from './client/index.ts';
