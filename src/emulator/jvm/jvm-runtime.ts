/**
 * One emulated JVM run: the classes the payload brought (fetched from its codebase, initialised
 * once), the heap, method dispatch between the payload's bytecode and the modelled library, Java
 * exceptions, queued threads, the limits, and the behaviour trace every outward call lands in.
 */
import { ACTIVE_KINDS, TraceRecorder, type BehaviourKind, type ArgumentValue } from '../behaviour/trace.ts';
import { executeMethod } from './bytecode-interpreter.ts';
import { ACC_ABSTRACT, ACC_STATIC, readClassFile, type ClassFile, type MethodInfo } from './class-file.ts';
import { argumentDescriptors, returnDescriptor } from './descriptors.ts';
import { callLambda, LambdaTarget } from './invoke-dynamic.ts';
import { classNameOf, defaultValue, isObject, JavaDouble, type JavaArray, type JavaClassObject, type JavaMethodObject, type JavaObject, type JavaReference, type JavaValue } from './java-values.ts';
import type { JvmContext } from './jvm-context.ts';
import { DEFAULT_JVM_LIMITS, type JvmLimits } from './jvm-limits.ts';
import { JavaThrow, JvmStop, type ThrowableState } from './jvm-signals.ts';
import { isSystemClass, type NativeLibrary } from './library/native-library.ts';

export interface LoadedClass {
  readonly file: ClassFile;
  readonly name: string;
  readonly superClass: LoadedClass | null;
  /** the first system class up the chain (`java/lang/Object`, `java/lang/Thread`) */
  readonly systemSuper: string;
  readonly statics: Map<string, JavaValue>;
  initialized: boolean;
}

/** the Java method running now, for evidence: `Exploit.<init>` */
interface FrameLabel {
  className: string;
  method: string;
}

export class JvmRuntime {
  readonly limits: JvmLimits;
  readonly trace: TraceRecorder;
  instructions = 0;
  virtualMs = 0;
  private heapObjects = 0;
  private arrayElements = 0;
  private nextId = 1;
  private readonly startedAt = Date.now();
  private readonly classes = new Map<string, LoadedClass | null>();
  private classesFetched = 0;
  private readonly frames: FrameLabel[] = [];
  private readonly threads: JavaObject[] = [];
  private threadsStarted = 0;
  private readonly unsupportedSeen = new Set<string>();
  unsupportedCalls = 0;
  /** outward calls recorded (network, process, download, file) and the count at the last sleep */
  private activeCalls = 0;
  private activeCallsAtSleep = -1;
  private idleSleeps = 0;
  private nextSocket = 0x6c00;

  constructor(
    readonly context: JvmContext,
    readonly library: NativeLibrary,
  ) {
    this.limits = { ...DEFAULT_JVM_LIMITS, ...context.limits };
    this.trace = new TraceRecorder(() => this.instructions, this.limits.maxTraceEvents);
  }

  // ---- classes ----

  /** Defines a class from bytes (the first one the codebase served); null when they are no class. */
  define(bytes: Uint8Array): LoadedClass | null {
    const result = readClassFile(bytes);
    if (!result.ok) {
      this.record('library', 'jvm.defineClass', `class file rejected: ${result.problem}`, { problem: result.problem });
      this.context.anomaly?.('jvm.class_format_error');
      return null;
    }
    return this.link(result.classFile);
  }

  private link(file: ClassFile): LoadedClass | null {
    if (this.classes.has(file.name)) return this.classes.get(file.name) ?? null;
    // a superclass the payload brought is loaded first; a system one is the library's
    const superClass = file.superName && !isSystemClass(file.superName) ? this.userClass(file.superName) : null;
    const systemSuper = superClass ? superClass.systemSuper : (file.superName ?? 'java/lang/Object');
    const statics = new Map<string, JavaValue>();
    for (const field of file.fields) {
      if (!(field.accessFlags & ACC_STATIC)) continue;
      const constant = field.constantValueIndex === null ? undefined : file.constants[field.constantValueIndex];
      statics.set(field.name, constant ? this.constantValue(file, field.constantValueIndex!) : defaultValue(field.descriptor));
    }
    const loaded: LoadedClass = { file, name: file.name, superClass, systemSuper, statics, initialized: false };
    this.classes.set(file.name, loaded);
    this.record('library', 'jvm.defineClass', `defines class ${dotted(file.name)}${superClass || file.superName !== 'java/lang/Object' ? ` extends ${dotted(file.superName ?? '?')}` : ''}`, { class: dotted(file.name) });
    return loaded;
  }

  /** A class of the payload's own, fetched from its codebase when first named; null when there is none. */
  userClass(name: string): LoadedClass | null {
    if (isSystemClass(name) || name.startsWith('[')) return null;
    if (this.classes.has(name)) return this.classes.get(name) ?? null;
    this.classes.set(name, null);
    if (this.classesFetched >= this.limits.maxLoadedClasses || !this.context.fetchClass) return null;
    this.classesFetched++;
    const bytes = this.context.fetchClass(name.replace(/\//g, '.'));
    if (!bytes) return null;
    const result = readClassFile(bytes);
    if (!result.ok || result.classFile.name !== name) {
      this.context.anomaly?.('jvm.class_format_error');
      return null;
    }
    this.classes.delete(name);
    return this.link(result.classFile);
  }

  /** <clinit> runs once, before first use (JVMS §5.5); the class counts as initialised from its start. */
  initialize(loaded: LoadedClass): void {
    if (loaded.initialized) return;
    loaded.initialized = true;
    if (loaded.superClass) this.initialize(loaded.superClass);
    const clinit = loaded.file.method('<clinit>', '()V');
    if (clinit) this.execute(loaded, clinit, []);
  }

  /** the user class by name, initialised, or a NoClassDefFoundError */
  requireClass(name: string): LoadedClass {
    const loaded = this.userClass(name);
    if (!loaded) this.throwNew('java/lang/NoClassDefFoundError', dotted(name));
    this.initialize(loaded);
    return loaded;
  }

  isSubclass(name: string, target: string): boolean {
    if (name === target || target === 'java/lang/Object') return true;
    if (name.startsWith('[') || target.startsWith('[')) return name.startsWith('[') && (target === 'java/lang/Cloneable' || target === 'java/io/Serializable' || arrayAssignable(name, target, this));
    const loaded = isSystemClass(name) ? null : (this.classes.get(name) ?? null);
    if (loaded) {
      if (loaded.file.interfaces.some((implemented) => this.isSubclass(implemented, target))) return true;
      return this.isSubclass(loaded.file.superName ?? 'java/lang/Object', target);
    }
    // a system class the library does not model: assume the cast a compiler allowed is right
    return this.library.isSubclass(name, target) ?? true;
  }

  // ---- calls ----

  /** runs a method of a payload class with its arguments (`this` first for instance methods) */
  execute(loaded: LoadedClass, method: MethodInfo, args: JavaValue[]): JavaValue {
    if (!method.code) {
      if (method.accessFlags & ACC_ABSTRACT) this.throwNew('java/lang/AbstractMethodError', `${dotted(loaded.name)}.${method.name}`);
      return this.unsupported(loaded.name, method.name, method.descriptor, 'native method');
    }
    if (this.frames.length >= this.limits.maxCallDepth) this.throwNew('java/lang/StackOverflowError', null);
    this.frames.push({ className: loaded.name, method: method.name });
    try {
      return executeMethod(this, loaded, method, method.code, args);
    } finally {
      this.frames.pop();
    }
  }

  invokeStatic(className: string, name: string, descriptor: string, args: JavaValue[]): JavaValue {
    if (!isSystemClass(className)) {
      const loaded = this.requireClass(className);
      const found = findMethod(loaded, name, descriptor);
      if (found) return this.execute(found.owner, found.method, args);
      return this.invokeNative(loaded.systemSuper, name, descriptor, null, args);
    }
    return this.invokeNative(className, name, descriptor, null, args);
  }

  /** invokespecial: constructors, private methods, super.m() — no virtual lookup */
  invokeSpecial(className: string, name: string, descriptor: string, args: JavaValue[]): JavaValue {
    const receiver = args[0];
    if (receiver === null || receiver === undefined) this.throwNew('java/lang/NullPointerException', `${name} on null`);
    if (!isSystemClass(className)) {
      const loaded = this.requireClass(className);
      const found = findMethod(loaded, name, descriptor);
      if (found) return this.execute(found.owner, found.method, args);
      return this.invokeNative(loaded.systemSuper, name, descriptor, receiver, args.slice(1));
    }
    return this.invokeNative(className, name, descriptor, receiver, args.slice(1));
  }

  /** invokevirtual / invokeinterface: the receiver's class decides */
  invokeVirtual(name: string, descriptor: string, args: JavaValue[]): JavaValue {
    const receiver = args[0];
    if (receiver === null || receiver === undefined || typeof receiver === 'number' || typeof receiver === 'bigint' || receiver instanceof JavaDouble) {
      this.throwNew('java/lang/NullPointerException', `Cannot invoke ${name}() on null`);
    }
    if (isObject(receiver) && receiver.native instanceof LambdaTarget && receiver.native.methodName === name) return callLambda(this, receiver.native, args.slice(1));
    const className = classNameOf(receiver);
    if (isObject(receiver) && !isSystemClass(className)) {
      const loaded = this.classes.get(className);
      if (loaded) {
        const found = findMethod(loaded, name, descriptor);
        if (found) return this.execute(found.owner, found.method, args);
        return this.invokeNative(loaded.systemSuper, name, descriptor, receiver, args.slice(1));
      }
    }
    return this.invokeNative(className, name, descriptor, receiver, args.slice(1));
  }

  /** calls an instance method by name from library code (Thread.run, Runnable.run, toString) */
  callVirtual(receiver: JavaReference, name: string, descriptor: string, args: JavaValue[] = []): JavaValue {
    return this.invokeVirtual(name, descriptor, [receiver, ...args]);
  }

  private invokeNative(className: string, name: string, descriptor: string, receiver: JavaValue, args: JavaValue[]): JavaValue {
    const found = this.library.find(className, name, descriptor);
    if (!found) return this.unsupported(className, name, descriptor);
    const value = found.method({ jvm: this, receiver, args, descriptor, className: found.owner, name });
    return value === undefined ? defaultValue(returnDescriptor(descriptor)) : value;
  }

  /** A method nobody models: one trace event per method, every call counted, a default answer. */
  unsupported(className: string, name: string, descriptor: string, why = 'not modelled'): JavaValue {
    this.unsupportedCalls++;
    this.context.anomaly?.('jvm.unsupported_method');
    const signature = `${dotted(className)}.${name}${descriptor}`;
    if (!this.unsupportedSeen.has(signature)) {
      this.unsupportedSeen.add(signature);
      this.record('other', 'jvm.unsupported', `unsupported ${signature} (${why}) in ${this.callerLabel()}: answered with a default value`, { method: signature, caller: this.callerLabel() });
    }
    return defaultValue(returnDescriptor(descriptor));
  }

  // ---- heap ----

  newObject(className: string, native: unknown = null): JavaObject {
    this.countObject();
    const fields = new Map<string, JavaValue>();
    for (let loaded = this.classes.get(className) ?? null; loaded; loaded = loaded.superClass) {
      for (const field of loaded.file.fields) if (!(field.accessFlags & ACC_STATIC) && !fields.has(field.name)) fields.set(field.name, defaultValue(field.descriptor));
    }
    return { kind: 'object', id: this.nextId++, className, fields, native };
  }

  newArray(component: string, values: JavaValue[]): JavaArray {
    this.countObject();
    this.arrayElements += values.length;
    if (this.arrayElements > this.limits.maxArrayElements) throw new JvmStop('memory_limit', `more than ${this.limits.maxArrayElements} array elements allocated`);
    return { kind: 'array', id: this.nextId++, component, values };
  }

  /** an array of `length` default elements; a negative length is Java's own exception */
  allocateArray(component: string, length: number): JavaArray {
    if (length < 0) this.throwNew('java/lang/NegativeArraySizeException', String(length));
    if (this.arrayElements + length > this.limits.maxArrayElements) throw new JvmStop('memory_limit', `an array of ${length} elements exceeds the heap limit`);
    return this.newArray(component, new Array<JavaValue>(length).fill(defaultValue(component)));
  }

  classObject(name: string): JavaClassObject {
    return { kind: 'class', id: this.nextId++, name };
  }

  methodObject(className: string, name: string, parameterTypes: string[] | null): JavaMethodObject {
    return { kind: 'method', id: this.nextId++, className, name, parameterTypes };
  }

  private countObject(): void {
    if (++this.heapObjects > this.limits.maxHeapObjects) throw new JvmStop('memory_limit', `more than ${this.limits.maxHeapObjects} objects allocated`);
  }

  // ---- exceptions ----

  newThrowable(className: string, message: string | null, cause: JavaObject | null = null): JavaObject {
    const state: ThrowableState = { message, cause };
    return this.newObject(className, state);
  }

  throwNew(className: string, message: string | null): never {
    throw new JavaThrow(this.newThrowable(className, message));
  }

  // ---- limits, time, threads ----

  /** counts `count` instructions; stops the run at the instruction or wall-clock bound */
  tick(count: number): void {
    this.instructions += count;
    if (this.instructions > this.limits.maxInstructions) throw new JvmStop('instruction_limit', `${this.limits.maxInstructions} bytecode instructions`);
    if ((this.instructions & 0x3fff) < count && Date.now() - this.startedAt > this.limits.maxWallMs) throw new JvmStop('time_limit', `${this.limits.maxWallMs} ms of real time`);
  }

  sleep(milliseconds: number): void {
    const wait = Math.max(0, Math.min(milliseconds, this.limits.maxVirtualMs));
    this.virtualMs += wait;
    this.context.sleep?.(wait);
    if (this.virtualMs > this.limits.maxVirtualMs) throw new JvmStop('time_limit', `${this.limits.maxVirtualMs} ms of virtual time slept`);
    this.idleSleeps = this.activeCalls === this.activeCallsAtSleep ? this.idleSleeps + 1 : 0;
    this.activeCallsAtSleep = this.activeCalls;
    if (this.idleSleeps >= this.limits.maxIdleSleeps) throw new JvmStop('blocked', `slept ${this.idleSleeps} times in a row with nothing outward between: waiting for input that does not come`);
  }

  /** Thread.start: the thread runs once the code that started it returns (one CPU, no preemption) */
  startThread(thread: JavaObject): void {
    if (this.threadsStarted >= this.limits.maxThreads) {
      this.context.anomaly?.('jvm.thread_limit');
      this.record('thread', 'java.lang.Thread.start', `thread not started: ${this.limits.maxThreads} threads already`, {});
      return;
    }
    this.threadsStarted++;
    this.threads.push(thread);
    this.record('thread', 'java.lang.Thread.start', `${this.callerLabel()} starts a thread (${dotted(thread.className)})`, { class: dotted(thread.className) });
  }

  /** the next queued thread, taken off the queue (join runs it at once) */
  takeThread(thread?: JavaObject): JavaObject | null {
    const index = thread ? this.threads.indexOf(thread) : 0;
    if (index < 0 || index >= this.threads.length) return null;
    return this.threads.splice(index, 1)[0]!;
  }

  /** runs a started thread to its end; an exception nobody caught ends that thread only */
  runThread(thread: JavaObject): void {
    try {
      this.callVirtual(thread, 'run', '()V');
    } catch (thrown) {
      if (!(thrown instanceof JavaThrow)) throw thrown;
      this.record('thread', 'java.lang.Thread.run', `thread ${dotted(thread.className)} ended with ${dotted(thrown.exception.className)}`, { exception: dotted(thrown.exception.className) });
    }
  }

  openSocketId(): number {
    return this.context.nextSocketId ? this.context.nextSocketId() : this.nextSocket++;
  }

  // ---- evidence ----

  record(kind: BehaviourKind, api: string, summary: string, args: Record<string, ArgumentValue>): void {
    if (ACTIVE_KINDS.has(kind)) this.activeCalls++;
    this.trace.record({ kind, api, summary: summary.slice(0, 1_024), args });
  }

  /** `Exploit.<init>`: the Java method whose call is being recorded */
  callerLabel(): string {
    const frame = this.frames[this.frames.length - 1];
    return frame ? `${dotted(frame.className)}.${frame.method}` : 'jvm';
  }

  constantValue(file: ClassFile, index: number): JavaValue {
    const constant = file.constants[index];
    switch (constant?.tag) {
      case 'integer':
      case 'float':
        return constant.value;
      case 'long':
        return constant.value;
      case 'double':
        return new JavaDouble(constant.value);
      case 'string':
        return file.utf8(constant.stringIndex);
      case 'class':
        return this.classObject(file.className(index));
      default:
        return null;
    }
  }
}

export function findMethod(loaded: LoadedClass, name: string, descriptor: string): { owner: LoadedClass; method: MethodInfo } | null {
  for (let current: LoadedClass | null = loaded; current; current = current.superClass) {
    const method = current.file.method(name, descriptor);
    if (method) return { owner: current, method };
  }
  return null;
}

/** a method found by name and argument count only (reflection given no parameter types) */
export function findMethodByName(loaded: LoadedClass, name: string, argumentCount: number | null): { owner: LoadedClass; method: MethodInfo } | null {
  for (let current: LoadedClass | null = loaded; current; current = current.superClass) {
    const method = current.file.methods.find((candidate) => candidate.name === name && (argumentCount === null || argumentDescriptors(candidate.descriptor).length === argumentCount));
    if (method) return { owner: current, method };
  }
  return null;
}

function arrayAssignable(name: string, target: string, runtime: JvmRuntime): boolean {
  if (!target.startsWith('[')) return false;
  const element = name.slice(1);
  const targetElement = target.slice(1);
  if (element === targetElement) return true;
  if (element.startsWith('L') && targetElement.startsWith('L')) return runtime.isSubclass(element.slice(1, -1), targetElement.slice(1, -1));
  if (element.startsWith('[') && targetElement.startsWith('[')) return arrayAssignable(element, targetElement, runtime);
  return targetElement === 'Ljava/lang/Object;' && !/^[BCDFIJSZ]$/.test(element);
}

export function dotted(name: string): string {
  return name.replace(/\//g, '.');
}
