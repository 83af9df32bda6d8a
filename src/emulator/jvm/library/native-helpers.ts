/** Conversions the library's natives share: Java strings, byte arrays, String[] and the receiver's state. */
import { arrayBytes, isArray, isObject, javaString, signedBytes, type JavaArray, type JavaObject, type JavaValue } from '../java-values.ts';
import type { JvmRuntime } from '../jvm-runtime.ts';
import type { NativeCall } from './native-library.ts';

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/** a String argument (or any CharSequence: a StringBuilder passes its text); NPE for null */
export function stringArgument(jvm: JvmRuntime, value: JavaValue): string {
  if (value === null || value === undefined) jvm.throwNew('java/lang/NullPointerException', 'string argument is null');
  if (typeof value === 'string') return value;
  if (isObject(value) && value.native instanceof TextBuffer) return value.native.text;
  return javaString(value);
}

export function optionalString(value: JavaValue): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (isObject(value) && value.native instanceof TextBuffer) return value.native.text;
  return javaString(value);
}

/** the text of a StringBuilder / StringBuffer */
export class TextBuffer {
  constructor(public text = '') {}
}

export function arrayArgument(jvm: JvmRuntime, value: JavaValue): JavaArray {
  if (!isArray(value)) jvm.throwNew('java/lang/NullPointerException', 'array argument is null');
  return value;
}

export function stringArray(jvm: JvmRuntime, value: JavaValue): string[] {
  return arrayArgument(jvm, value).values.map((element) => optionalString(element) ?? 'null');
}

export function byteArray(jvm: JvmRuntime, bytes: Uint8Array): JavaArray {
  return jvm.newArray('B', signedBytes(bytes));
}

export function newStringArray(jvm: JvmRuntime, values: string[]): JavaArray {
  return jvm.newArray('Ljava/lang/String;', values);
}

export function bytesOf(jvm: JvmRuntime, value: JavaValue, offset?: number, length?: number): Uint8Array {
  return arrayBytes(arrayArgument(jvm, value), offset, length);
}

export function decodeUtf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function encodeText(text: string, charset: string | null = null): Uint8Array {
  if (charset !== null && /^(iso-?8859-?1|latin-?1|us-ascii|ascii)$/i.test(charset)) return Uint8Array.from(text, (character) => character.charCodeAt(0) & 0xff);
  return utf8Encoder.encode(text);
}

/** the receiver's native state of the expected class, or an NPE-like stop when it has none */
export function stateOf<T>(call: NativeCall, type: abstract new (...args: never[]) => T): T {
  const receiver = call.receiver;
  if (isObject(receiver) && receiver.native instanceof type) return receiver.native;
  return call.jvm.throwNew('java/lang/IllegalStateException', `${call.className}.${call.name} on an object the emulator did not construct`);
}

export function receiverObject(call: NativeCall): JavaObject {
  if (!isObject(call.receiver)) call.jvm.throwNew('java/lang/NullPointerException', `${call.name} on null`);
  return call.receiver;
}

export function booleanValue(value: boolean): number {
  return value ? 1 : 0;
}

/** a boxed primitive (Integer, Long, Boolean, Character …): its value and the primitive's descriptor */
export class BoxedValue {
  constructor(
    readonly value: JavaValue,
    readonly descriptor: string,
  ) {}
}

/** String.valueOf(value): an object's own toString() (a payload class may define one) */
export function textOf(jvm: JvmRuntime, value: JavaValue, descriptor = ''): string {
  if (isObject(value) && value.className !== 'java/lang/String') return optionalString(jvm.callVirtual(value, 'toString', '()Ljava/lang/String;')) ?? 'null';
  return javaString(value, descriptor);
}
