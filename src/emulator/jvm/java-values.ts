/**
 * What the interpreter's stacks, locals, fields and arrays hold. int, short, byte, char, boolean
 * and float are JS numbers; long is a bigint; double is boxed in `JavaDouble` so category-2 stack
 * operations (dup2, pop2) can tell it from a float; java.lang.String is a JS string (both are
 * immutable UTF-16); everything else is a heap object the JVM counts against its limit.
 */

export class JavaDouble {
  constructor(readonly value: number) {}
}

/** An instance: of a class the payload brought (fields by name) or of a modelled library class (`native`). */
export interface JavaObject {
  readonly kind: 'object';
  readonly id: number;
  /** internal name: `Exploit`, `java/lang/StringBuilder` */
  readonly className: string;
  readonly fields: Map<string, JavaValue>;
  /** the library's state for this object (a StringBuilder's text, a Socket's connection …) */
  native: unknown;
}

export interface JavaArray {
  readonly kind: 'array';
  readonly id: number;
  /** descriptor of the elements: `B`, `Ljava/lang/String;`, `[I` */
  readonly component: string;
  readonly values: JavaValue[];
}

/** java.lang.Class: what `ldc Foo.class`, getClass and Class.forName hand back */
export interface JavaClassObject {
  readonly kind: 'class';
  readonly id: number;
  /** internal name, or a primitive descriptor (`I`) */
  readonly name: string;
}

/** java.lang.reflect.Method and Constructor, as getMethod / getConstructor find them */
export interface JavaMethodObject {
  readonly kind: 'method';
  readonly id: number;
  readonly className: string;
  readonly name: string;
  /** parameter descriptors as given to getMethod (`Ljava/lang/String;`); null when looked up by name only */
  readonly parameterTypes: string[] | null;
}

export type JavaReference = string | JavaObject | JavaArray | JavaClassObject | JavaMethodObject;
export type JavaValue = number | bigint | JavaDouble | JavaReference | null | undefined;

export function isObject(value: JavaValue): value is JavaObject {
  return typeof value === 'object' && value !== null && !(value instanceof JavaDouble) && value.kind === 'object';
}

export function isArray(value: JavaValue): value is JavaArray {
  return typeof value === 'object' && value !== null && !(value instanceof JavaDouble) && value.kind === 'array';
}

/** long and double take two slots of the operand stack in the JVM's own accounting */
export function isCategory2(value: JavaValue): boolean {
  return typeof value === 'bigint' || value instanceof JavaDouble;
}

/** the zero value of a field or array element of this descriptor */
export function defaultValue(descriptor: string): JavaValue {
  switch (descriptor[0]) {
    case 'J':
      return 0n;
    case 'D':
      return new JavaDouble(0);
    case 'L':
    case '[':
      return null;
    case 'V':
      return undefined;
    default:
      return 0;
  }
}

/** the internal class name of any reference, as getClass() reports it */
export function classNameOf(value: JavaReference): string {
  if (typeof value === 'string') return 'java/lang/String';
  switch (value.kind) {
    case 'object':
      return value.className;
    case 'array':
      return `[${value.component}`;
    case 'class':
      return 'java/lang/Class';
    case 'method':
      return value.name === '<init>' ? 'java/lang/reflect/Constructor' : 'java/lang/reflect/Method';
  }
}

export function asInt(value: JavaValue): number {
  if (typeof value === 'number') return value | 0;
  if (typeof value === 'bigint') return Number(BigInt.asIntN(32, value));
  if (value instanceof JavaDouble) return doubleToInt(value.value);
  return 0;
}

export function asLong(value: JavaValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (value instanceof JavaDouble) return doubleToLong(value.value);
  return 0n;
}

export function asDouble(value: JavaValue): number {
  if (value instanceof JavaDouble) return value.value;
  if (typeof value === 'bigint') return Number(value);
  return typeof value === 'number' ? value : 0;
}

/** d2i/f2i: NaN is 0, out-of-range saturates */
export function doubleToInt(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value >= 2_147_483_647) return 2_147_483_647;
  if (value <= -2_147_483_648) return -2_147_483_648;
  return Math.trunc(value) | 0;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

export function doubleToLong(value: number): bigint {
  if (Number.isNaN(value)) return 0n;
  if (value >= 9.223372036854776e18) return LONG_MAX;
  if (value <= -9.223372036854776e18) return LONG_MIN;
  return BigInt(Math.trunc(value));
}

export function wrapLong(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/** String.valueOf / StringBuilder.append of a value whose static type the descriptor gives */
export function javaString(value: JavaValue, descriptor = ''): string {
  if (value === null || value === undefined) return 'null';
  if (descriptor === 'C') return String.fromCharCode(value as number);
  if (descriptor === 'Z') return value ? 'true' : 'false';
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return descriptor === 'F' ? floatText(value) : String(value);
  if (value instanceof JavaDouble) return floatText(value.value);
  switch (value.kind) {
    case 'object':
      if (TEXT_CLASSES.has(value.className) && typeof (value.native as { text?: unknown } | null)?.text === 'string') return (value.native as { text: string }).text;
      return `${value.className.replace(/\//g, '.')}@${value.id.toString(16)}`;
    case 'array':
      return `[${value.component}@${value.id.toString(16)}`;
    case 'class':
      return `class ${value.name.replace(/\//g, '.')}`;
    case 'method':
      return `${value.className.replace(/\//g, '.')}.${value.name}`;
  }
}

/** classes whose instances print as the text they hold */
const TEXT_CLASSES = new Set(['java/lang/String', 'java/lang/StringBuilder', 'java/lang/StringBuffer']);

/** Java prints whole doubles with `.0` */
function floatText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

/** the bytes of a byte[] (elements are -128..127) */
export function arrayBytes(array: JavaArray, offset = 0, length = array.values.length - offset): Uint8Array {
  const start = Math.max(0, Math.min(offset, array.values.length));
  const end = Math.max(start, Math.min(start + length, array.values.length));
  const bytes = new Uint8Array(end - start);
  for (let index = start; index < end; index++) bytes[index - start] = asInt(array.values[index]) & 0xff;
  return bytes;
}

/** signed byte values, as a byte[] holds them */
export function signedBytes(bytes: Uint8Array): number[] {
  return Array.from(bytes, (byte) => (byte << 24) >> 24);
}
