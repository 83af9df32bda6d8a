/**
 * An emulated JVM for the classes attackers serve to JNDI (Log4Shell's remote factory): a class-file
 * reader, a bytecode interpreter with always-on limits, and a modelled Java library whose process,
 * socket and download calls reach the dummy's shell and network. Pure TypeScript, no dependencies.
 */
export { runObjectFactory, type ObjectFactoryRun } from './run-object-factory.ts';
export type { JvmContext, JvmEnvironment } from './jvm-context.ts';
export { DEFAULT_JVM_LIMITS, type JvmLimits } from './jvm-limits.ts';
export { readClassFile, isClassFile, type ClassFile, type ClassFileResult } from './class-file.ts';
