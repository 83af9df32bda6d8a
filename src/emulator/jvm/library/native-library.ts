/**
 * The modelled Java class library: which system classes exist, what they extend and implement,
 * and the native implementation of each method a payload calls. Methods are found by
 * `class.name(descriptor)`, then `class.name` (every overload alike), then up the superclasses.
 * A method not found here is the caller's "unsupported" event, never a crash.
 */
import type { JavaValue } from '../java-values.ts';
import type { JvmRuntime } from '../jvm-runtime.ts';

export interface NativeCall {
  readonly jvm: JvmRuntime;
  /** `this`, for instance methods */
  readonly receiver: JavaValue;
  readonly args: JavaValue[];
  readonly descriptor: string;
  /** the class whose method was asked for (the receiver's class or a superclass) */
  readonly className: string;
  readonly name: string;
}

export type NativeMethod = (call: NativeCall) => JavaValue | void;

export interface LibraryClass {
  superName: string | null;
  interfaces: readonly string[];
  /** keyed `name` or `name(descriptor)` */
  methods: Map<string, NativeMethod>;
  /** static fields a payload reads (System.out, Boolean.TRUE) */
  staticFields?: Map<string, (jvm: JvmRuntime) => JavaValue>;
}

export class NativeLibrary {
  private readonly classes = new Map<string, LibraryClass>();

  define(name: string, superName: string | null, interfaces: readonly string[], methods: Record<string, NativeMethod> = {}, staticFields: Record<string, (jvm: JvmRuntime) => JavaValue> = {}): void {
    const existing = this.classes.get(name);
    if (existing) {
      for (const [key, method] of Object.entries(methods)) existing.methods.set(key, method);
      for (const [key, field] of Object.entries(staticFields)) (existing.staticFields ??= new Map()).set(key, field);
      return;
    }
    this.classes.set(name, { superName, interfaces, methods: new Map(Object.entries(methods)), staticFields: new Map(Object.entries(staticFields)) });
  }

  has(name: string): boolean {
    return this.classes.has(name);
  }

  get(name: string): LibraryClass | undefined {
    return this.classes.get(name);
  }

  /** the native for a method, searching superclasses; null when the library does not model it */
  find(className: string, name: string, descriptor: string): { method: NativeMethod; owner: string } | null {
    for (let current: string | null = className, hops = 0; current !== null && hops < 16; hops++) {
      const library = this.classes.get(current);
      if (!library) return null;
      const method = library.methods.get(`${name}${descriptor}`) ?? library.methods.get(name);
      if (method) return { method, owner: current };
      current = library.superName;
    }
    return null;
  }

  staticField(className: string, name: string): ((jvm: JvmRuntime) => JavaValue) | null {
    return this.classes.get(className)?.staticFields?.get(name) ?? null;
  }

  /** whether `name` is `target` or extends or implements it, as far as the library knows */
  isSubclass(name: string, target: string): boolean | null {
    if (name === target || target === 'java/lang/Object') return true;
    const library = this.classes.get(name);
    if (!library) return null;
    if (library.interfaces.some((implemented) => implemented === target || this.isSubclass(implemented, target) === true)) return true;
    return library.superName === null ? false : (this.isSubclass(library.superName, target) ?? false);
  }
}

/** classes the bootstrap loader owns: never fetched from an attacker's codebase */
export function isSystemClass(name: string): boolean {
  return /^(java|javax|jdk|sun|com\/sun)\//.test(name);
}
