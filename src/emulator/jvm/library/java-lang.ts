/**
 * java.lang as payloads use it: Object, String and its builders, the boxed primitives, Math,
 * System (properties and environment from the dummy's Java profile, never from this machine) and
 * the Throwable hierarchy Java code catches.
 */
import { argumentDescriptors } from '../descriptors.ts';
import { asDouble, asInt, asLong, classNameOf, isArray, isObject, JavaDouble, javaString, type JavaReference, type JavaValue } from '../java-values.ts';
import { JvmStop, type ThrowableState } from '../jvm-signals.ts';
import { dotted, type JvmRuntime } from '../jvm-runtime.ts';
import { booleanValue, BoxedValue, byteArray, bytesOf, decodeUtf8, encodeText, optionalString, receiverObject, stringArgument, TextBuffer, textOf } from './native-helpers.ts';
import type { NativeCall, NativeLibrary, NativeMethod } from './native-library.ts';

/** the dummy's wall clock as Java reads it: its image date plus virtual time */
const DUMMY_EPOCH_MS = Date.UTC(2021, 11, 10, 9, 0, 0);

const EXCEPTIONS: [string, string][] = [
  ['java/lang/Throwable', 'java/lang/Object'],
  ['java/lang/Exception', 'java/lang/Throwable'],
  ['java/lang/Error', 'java/lang/Throwable'],
  ['java/lang/RuntimeException', 'java/lang/Exception'],
  ['java/lang/NullPointerException', 'java/lang/RuntimeException'],
  ['java/lang/ArithmeticException', 'java/lang/RuntimeException'],
  ['java/lang/ClassCastException', 'java/lang/RuntimeException'],
  ['java/lang/IllegalArgumentException', 'java/lang/RuntimeException'],
  ['java/lang/IllegalStateException', 'java/lang/RuntimeException'],
  ['java/lang/IllegalThreadStateException', 'java/lang/IllegalArgumentException'],
  ['java/lang/NumberFormatException', 'java/lang/IllegalArgumentException'],
  ['java/lang/IndexOutOfBoundsException', 'java/lang/RuntimeException'],
  ['java/lang/ArrayIndexOutOfBoundsException', 'java/lang/IndexOutOfBoundsException'],
  ['java/lang/StringIndexOutOfBoundsException', 'java/lang/IndexOutOfBoundsException'],
  ['java/lang/NegativeArraySizeException', 'java/lang/RuntimeException'],
  ['java/lang/ArrayStoreException', 'java/lang/RuntimeException'],
  ['java/lang/UnsupportedOperationException', 'java/lang/RuntimeException'],
  ['java/lang/SecurityException', 'java/lang/RuntimeException'],
  ['java/util/regex/PatternSyntaxException', 'java/lang/IllegalArgumentException'],
  ['java/lang/InterruptedException', 'java/lang/Exception'],
  ['java/lang/ReflectiveOperationException', 'java/lang/Exception'],
  ['java/lang/ClassNotFoundException', 'java/lang/ReflectiveOperationException'],
  ['java/lang/NoSuchMethodException', 'java/lang/ReflectiveOperationException'],
  ['java/lang/NoSuchFieldException', 'java/lang/ReflectiveOperationException'],
  ['java/lang/IllegalAccessException', 'java/lang/ReflectiveOperationException'],
  ['java/lang/InstantiationException', 'java/lang/ReflectiveOperationException'],
  ['java/lang/reflect/InvocationTargetException', 'java/lang/ReflectiveOperationException'],
  ['java/io/IOException', 'java/lang/Exception'],
  ['java/io/FileNotFoundException', 'java/io/IOException'],
  ['java/net/SocketException', 'java/io/IOException'],
  ['java/net/ConnectException', 'java/net/SocketException'],
  ['java/net/UnknownHostException', 'java/io/IOException'],
  ['java/net/MalformedURLException', 'java/io/IOException'],
  ['javax/naming/NamingException', 'java/lang/Exception'],
  ['java/lang/LinkageError', 'java/lang/Error'],
  ['java/lang/NoClassDefFoundError', 'java/lang/LinkageError'],
  ['java/lang/UnsatisfiedLinkError', 'java/lang/LinkageError'],
  ['java/lang/IncompatibleClassChangeError', 'java/lang/LinkageError'],
  ['java/lang/AbstractMethodError', 'java/lang/IncompatibleClassChangeError'],
  ['java/lang/VirtualMachineError', 'java/lang/Error'],
  ['java/lang/StackOverflowError', 'java/lang/VirtualMachineError'],
  ['java/lang/OutOfMemoryError', 'java/lang/VirtualMachineError'],
];

export function defineJavaLang(library: NativeLibrary): void {
  library.define('java/lang/Object', null, [], {
    '<init>': () => undefined,
    getClass: ({ jvm, receiver }) => jvm.classObject(classNameOf(receiver as JavaReference)),
    hashCode: ({ receiver }) => identityHash(receiver),
    equals: ({ receiver, args }) => booleanValue(receiver === args[0]),
    toString: ({ receiver }: NativeCall) => javaString(receiver),
    notify: () => undefined,
    notifyAll: () => undefined,
    wait: () => undefined,
  });
  library.define('java/lang/CharSequence', null, []);
  library.define('java/lang/Comparable', null, []);
  library.define('java/io/Serializable', null, []);
  library.define('java/lang/Cloneable', null, []);
  library.define('java/lang/String', 'java/lang/Object', ['java/lang/CharSequence', 'java/lang/Comparable', 'java/io/Serializable'], stringMethods());
  for (const builder of ['java/lang/StringBuilder', 'java/lang/StringBuffer']) library.define(builder, 'java/lang/Object', ['java/lang/CharSequence'], builderMethods());
  defineBoxes(library);
  library.define('java/lang/Math', 'java/lang/Object', [], mathMethods());
  library.define('java/lang/System', 'java/lang/Object', [], systemMethods(), {
    out: (jvm) => jvm.newObject('java/io/PrintStream'),
    err: (jvm) => jvm.newObject('java/io/PrintStream'),
  });
  for (const [name, superName] of EXCEPTIONS) library.define(name, superName, name === 'java/lang/Throwable' ? ['java/io/Serializable'] : [], name === 'java/lang/Throwable' ? throwableMethods() : {});
}

function identityHash(value: JavaValue): number {
  return typeof value === 'object' && value !== null && !(value instanceof JavaDouble) && 'id' in value ? value.id * 0x9e3779b1 | 0 : 0;
}

/** the receiver's text: a JS string, or a String object `new String(…)` built */
function self(call: NativeCall): string {
  return stringArgument(call.jvm, call.receiver);
}

/** String.trim(): every character up to U+0020 counts as space */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

function javaHash(text: string): number {
  let hash = 0;
  for (let index = 0; index < text.length; index++) hash = (Math.imul(hash, 31) + text.charCodeAt(index)) | 0;
  return hash;
}

/** a Java regular expression as a JS one; the common syntax is the same */
function javaRegex(call: NativeCall, pattern: string, flags = 'g'): RegExp {
  try {
    return new RegExp(pattern.replace(/\(\?<([a-zA-Z][a-zA-Z0-9]*)>/g, '(?<$1>').replace(/\\p\{Alpha\}/g, '[A-Za-z]').replace(/\\p\{Digit\}/g, '[0-9]'), flags);
  } catch {
    return call.jvm.throwNew('java/util/regex/PatternSyntaxException', pattern);
  }
}

function substringOf(call: NativeCall, text: string, begin: number, end: number): string {
  if (begin < 0 || end > text.length || begin > end) call.jvm.throwNew('java/lang/StringIndexOutOfBoundsException', `begin ${begin}, end ${end}, length ${text.length}`);
  return text.slice(begin, end);
}

function stringMethods(): Record<string, NativeMethod> {
  const charOrString = (value: JavaValue): string => (typeof value === 'number' ? String.fromCharCode(value) : (optionalString(value) ?? 'null'));
  return {
    '<init>': (call) => {
      const [first, second, third] = call.args;
      const types = argumentDescriptors(call.descriptor);
      let text = '';
      if (types[0] === '[B') text = types[1] === 'I' ? decodeUtf8(bytesOf(call.jvm, first, asInt(second), asInt(third))) : decodeUtf8(bytesOf(call.jvm, first));
      else if (types[0] === '[C' && isArray(first)) text = String.fromCharCode(...first.values.slice(types[1] === 'I' ? asInt(second) : 0, types[1] === 'I' ? asInt(second) + asInt(third) : undefined).map(asInt));
      else if (types.length > 0) text = stringArgument(call.jvm, first);
      receiverObject(call).native = new TextBuffer(text);
    },
    length: (call) => self(call).length,
    isEmpty: (call) => booleanValue(self(call).length === 0),
    isBlank: (call) => booleanValue(self(call).trim().length === 0),
    charAt: (call) => {
      const text = self(call);
      const index = asInt(call.args[0]);
      if (index < 0 || index >= text.length) call.jvm.throwNew('java/lang/StringIndexOutOfBoundsException', `index ${index}, length ${text.length}`);
      return text.charCodeAt(index);
    },
    codePointAt: (call) => self(call).codePointAt(asInt(call.args[0])) ?? 0,
    equals: (call) => booleanValue(optionalString(call.args[0]) === self(call) && (typeof call.args[0] === 'string' || isObject(call.args[0]))),
    equalsIgnoreCase: (call) => booleanValue(optionalString(call.args[0])?.toLowerCase() === self(call).toLowerCase()),
    compareTo: (call) => {
      const left = self(call);
      const right = stringArgument(call.jvm, call.args[0]);
      for (let index = 0; index < Math.min(left.length, right.length); index++) if (left[index] !== right[index]) return left.charCodeAt(index) - right.charCodeAt(index);
      return left.length - right.length;
    },
    contains: (call) => booleanValue(self(call).includes(stringArgument(call.jvm, call.args[0]))),
    startsWith: (call) => booleanValue(self(call).startsWith(stringArgument(call.jvm, call.args[0]), call.args.length > 1 ? asInt(call.args[1]) : 0)),
    endsWith: (call) => booleanValue(self(call).endsWith(stringArgument(call.jvm, call.args[0]))),
    indexOf: (call) => self(call).indexOf(charOrString(call.args[0]), call.args.length > 1 ? asInt(call.args[1]) : 0),
    lastIndexOf: (call) => self(call).lastIndexOf(charOrString(call.args[0]), call.args.length > 1 ? asInt(call.args[1]) : Infinity),
    substring: (call) => {
      const text = self(call);
      return substringOf(call, text, asInt(call.args[0]), call.args.length > 1 ? asInt(call.args[1]) : text.length);
    },
    subSequence: (call) => substringOf(call, self(call), asInt(call.args[0]), asInt(call.args[1])),
    toLowerCase: (call) => self(call).toLowerCase(),
    toUpperCase: (call) => self(call).toUpperCase(),
    trim: (call) => javaTrim(self(call)),
    strip: (call) => self(call).trim(),
    repeat: (call) => self(call).repeat(Math.max(0, Math.min(asInt(call.args[0]), 1 << 16))),
    concat: (call) => self(call) + stringArgument(call.jvm, call.args[0]),
    replace: (call) => self(call).split(charOrString(call.args[0])).join(charOrString(call.args[1])),
    replaceAll: (call) => self(call).replace(javaRegex(call, stringArgument(call.jvm, call.args[0])), stringArgument(call.jvm, call.args[1]).replace(/\\\$/g, '$$$$')),
    replaceFirst: (call) => self(call).replace(javaRegex(call, stringArgument(call.jvm, call.args[0]), ''), stringArgument(call.jvm, call.args[1])),
    matches: (call) => booleanValue(javaRegex(call, `^(?:${stringArgument(call.jvm, call.args[0])})$`, '').test(self(call))),
    split: (call) => {
      const limit = call.args.length > 1 ? asInt(call.args[1]) : 0;
      const pattern = stringArgument(call.jvm, call.args[0]);
      let parts = self(call).split(javaRegex(call, pattern));
      if (limit > 0 && parts.length > limit) {
        // Java keeps the rest of the text, separators included, in the last part
        const head = parts.slice(0, limit - 1);
        const consumed = head.reduce((length, part) => length + part.length, 0);
        const text = self(call);
        let position = 0;
        const separator = javaRegex(call, pattern);
        for (let count = 0; count < limit - 1; count++) {
          separator.lastIndex = position;
          const match = separator.exec(text);
          position = match ? match.index + match[0].length : text.length;
        }
        parts = [...head, text.slice(Math.max(position, consumed))];
      }
      if (limit === 0) while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
      return call.jvm.newArray('Ljava/lang/String;', parts);
    },
    getBytes: (call) => byteArray(call.jvm, encodeText(self(call), optionalString(call.args[0]))),
    toCharArray: (call) => call.jvm.newArray('C', Array.from(self(call), (character) => character.charCodeAt(0))),
    hashCode: (call) => javaHash(self(call)),
    intern: (call) => self(call),
    toString: (call: NativeCall) => self(call),
    valueOf: (call: NativeCall) => {
      const type = argumentDescriptors(call.descriptor)[0];
      const value = call.args[0];
      if (type === '[C' && isArray(value)) return String.fromCharCode(...value.values.map(asInt));
      return textOf(call.jvm, value, type);
    },
    copyValueOf: (call) => (isArray(call.args[0]) ? String.fromCharCode(...call.args[0].values.map(asInt)) : ''),
    join: (call) => {
      const separator = stringArgument(call.jvm, call.args[0]);
      const items = call.args[1];
      if (isArray(items)) return items.values.map((item) => optionalString(item) ?? 'null').join(separator);
      if (isObject(items) && Array.isArray(items.native)) return (items.native as JavaValue[]).map((item) => optionalString(item) ?? 'null').join(separator);
      return '';
    },
    format: (call) => formatJava(call),
  };
}

/** String.format for the conversions payloads use: %s %d %x %c %b %n %% (width and flags ignored) */
function formatJava(call: NativeCall): string {
  const formatArgument = typeof call.args[0] === 'string' || (isObject(call.args[0]) && call.args[0].className === 'java/lang/String') ? 0 : 1;
  const pattern = stringArgument(call.jvm, call.args[formatArgument]);
  const valueArray = call.args[formatArgument + 1];
  const values = isArray(valueArray) ? valueArray.values : [];
  let next = 0;
  return pattern.replace(/%([-#+ 0,(]*\d*(?:\.\d+)?)([sSdxXcbn%])/g, (_match, _flags: string, conversion: string) => {
    if (conversion === 'n') return '\n';
    if (conversion === '%') return '%';
    const value = values[next++];
    const unboxed = isObject(value) && value.native instanceof BoxedValue ? value.native.value : value;
    switch (conversion) {
      case 'd':
        return javaString(unboxed);
      case 'x':
      case 'X': {
        const hex = (typeof unboxed === 'bigint' ? BigInt.asUintN(64, unboxed) : asInt(unboxed) >>> 0).toString(16);
        return conversion === 'X' ? hex.toUpperCase() : hex;
      }
      case 'c':
        return String.fromCharCode(asInt(unboxed));
      case 'b':
        return value === null || value === undefined ? 'false' : textOf(call.jvm, value, 'Z');
      default: {
        const text = textOf(call.jvm, value);
        return conversion === 'S' ? text.toUpperCase() : text;
      }
    }
  });
}

function builderMethods(): Record<string, NativeMethod> {
  const buffer = (call: NativeCall): TextBuffer => {
    const object = receiverObject(call);
    if (!(object.native instanceof TextBuffer)) object.native = new TextBuffer();
    return object.native as TextBuffer;
  };
  const appendText = (call: NativeCall): string => {
    const type = argumentDescriptors(call.descriptor)[0];
    const [value, offset, length] = call.args;
    if (type === '[C' && isArray(value)) {
      const start = call.args.length > 1 ? asInt(offset) : 0;
      return String.fromCharCode(...value.values.slice(start, call.args.length > 1 ? start + asInt(length) : undefined).map(asInt));
    }
    if (type === 'Ljava/lang/CharSequence;' && call.args.length === 3) return (optionalString(value) ?? 'null').slice(asInt(offset), asInt(length));
    return textOf(call.jvm, value, type);
  };
  const limitLength = (call: NativeCall, text: string): string => {
    if (text.length > call.jvm.limits.maxArrayElements) throw new JvmStop('memory_limit', `a string builder of ${text.length} characters`);
    return text;
  };
  return {
    '<init>': (call) => {
      const type = argumentDescriptors(call.descriptor)[0];
      receiverObject(call).native = new TextBuffer(type === undefined || type === 'I' ? '' : stringArgument(call.jvm, call.args[0]));
    },
    append: (call) => {
      const text = buffer(call);
      text.text = limitLength(call, text.text + appendText(call));
      return call.receiver;
    },
    insert: (call) => {
      const text = buffer(call);
      const at = asInt(call.args[0]);
      if (at < 0 || at > text.text.length) call.jvm.throwNew('java/lang/StringIndexOutOfBoundsException', `offset ${at}`);
      text.text = limitLength(call, text.text.slice(0, at) + textOf(call.jvm, call.args[1], argumentDescriptors(call.descriptor)[1]) + text.text.slice(at));
      return call.receiver;
    },
    reverse: (call) => {
      const text = buffer(call);
      text.text = [...text.text].reverse().join('');
      return call.receiver;
    },
    delete: (call) => {
      const text = buffer(call);
      text.text = text.text.slice(0, asInt(call.args[0])) + text.text.slice(asInt(call.args[1]));
      return call.receiver;
    },
    deleteCharAt: (call) => {
      const text = buffer(call);
      const at = asInt(call.args[0]);
      if (at < 0 || at >= text.text.length) call.jvm.throwNew('java/lang/StringIndexOutOfBoundsException', `index ${at}`);
      text.text = text.text.slice(0, at) + text.text.slice(at + 1);
      return call.receiver;
    },
    replace: (call) => {
      const text = buffer(call);
      text.text = text.text.slice(0, asInt(call.args[0])) + stringArgument(call.jvm, call.args[2]) + text.text.slice(asInt(call.args[1]));
      return call.receiver;
    },
    setCharAt: (call) => {
      const text = buffer(call);
      const at = asInt(call.args[0]);
      if (at >= 0 && at < text.text.length) text.text = text.text.slice(0, at) + String.fromCharCode(asInt(call.args[1])) + text.text.slice(at + 1);
    },
    setLength: (call) => {
      const text = buffer(call);
      const length = Math.max(0, asInt(call.args[0]));
      text.text = text.text.length >= length ? text.text.slice(0, length) : text.text.padEnd(length, '\0');
    },
    length: (call) => buffer(call).text.length,
    charAt: (call) => buffer(call).text.charCodeAt(asInt(call.args[0])) || 0,
    indexOf: (call) => buffer(call).text.indexOf(stringArgument(call.jvm, call.args[0])),
    substring: (call) => buffer(call).text.slice(asInt(call.args[0]), call.args.length > 1 ? asInt(call.args[1]) : undefined),
    toString: (call: NativeCall) => buffer(call).text,
  };
}

function defineBoxes(library: NativeLibrary): void {
  library.define('java/lang/Number', 'java/lang/Object', ['java/io/Serializable']);
  const boxes: [string, string, string][] = [
    ['java/lang/Integer', 'I', 'java/lang/Number'],
    ['java/lang/Long', 'J', 'java/lang/Number'],
    ['java/lang/Short', 'S', 'java/lang/Number'],
    ['java/lang/Byte', 'B', 'java/lang/Number'],
    ['java/lang/Double', 'D', 'java/lang/Number'],
    ['java/lang/Float', 'F', 'java/lang/Number'],
    ['java/lang/Boolean', 'Z', 'java/lang/Object'],
    ['java/lang/Character', 'C', 'java/lang/Object'],
  ];
  for (const [name, descriptor, superName] of boxes) {
    const box = (jvm: JvmRuntime, value: JavaValue) => jvm.newObject(name, new BoxedValue(value, descriptor));
    const unboxed = (call: NativeCall): JavaValue => (isObject(call.receiver) && call.receiver.native instanceof BoxedValue ? call.receiver.native.value : 0);
    const parse = (call: NativeCall): JavaValue => {
      const text = stringArgument(call.jvm, call.args[0]).trim();
      const radix = call.args.length > 1 ? asInt(call.args[1]) : 10;
      if (descriptor === 'Z') return booleanValue(text.toLowerCase() === 'true');
      if (descriptor === 'D' || descriptor === 'F') {
        const number = Number(text);
        if (text === '' || Number.isNaN(number)) call.jvm.throwNew('java/lang/NumberFormatException', `For input string: "${text}"`);
        return descriptor === 'D' ? new JavaDouble(number) : Math.fround(number);
      }
      if (!/^[-+]?[0-9a-zA-Z]+$/.test(text) || Number.isNaN(parseInt(text, radix))) call.jvm.throwNew('java/lang/NumberFormatException', `For input string: "${text}"`);
      if (descriptor === 'J') return BigInt.asIntN(64, BigInt(radix === 10 ? text : parseInt(text, radix)));
      return parseInt(text, radix) | 0;
    };
    library.define(name, superName, ['java/lang/Comparable'], {
      '<init>': (call) => {
        receiverObject(call).native = new BoxedValue(typeof call.args[0] === 'string' ? parse(call) : call.args[0], descriptor);
      },
      valueOf: (call: NativeCall) => box(call.jvm, typeof call.args[0] === 'string' || isObject(call.args[0]) ? parse(call) : call.args[0]),
      parseInt: parse,
      parseLong: parse,
      parseShort: parse,
      parseByte: parse,
      parseBoolean: parse,
      parseDouble: parse,
      decode: (call) => box(call.jvm, parse(call)),
      intValue: (call) => asInt(unboxed(call)),
      longValue: (call) => asLong(unboxed(call)),
      shortValue: (call) => (asInt(unboxed(call)) << 16) >> 16,
      byteValue: (call) => (asInt(unboxed(call)) << 24) >> 24,
      doubleValue: (call) => new JavaDouble(asDouble(unboxed(call))),
      floatValue: (call) => Math.fround(asDouble(unboxed(call))),
      booleanValue: (call) => asInt(unboxed(call)),
      charValue: (call) => asInt(unboxed(call)),
      hashCode: (call) => asInt(unboxed(call)),
      equals: (call) => booleanValue(isObject(call.args[0]) && call.args[0].native instanceof BoxedValue && String(call.args[0].native.value) === String(unboxed(call))),
      toString: (call: NativeCall) => (call.args.length > 0 ? javaString(call.args[0], descriptor) : javaString(unboxed(call), descriptor)),
      toHexString: (call) => (typeof call.args[0] === 'bigint' ? BigInt.asUintN(64, call.args[0]) : asInt(call.args[0]) >>> 0).toString(16),
      toBinaryString: (call) => (typeof call.args[0] === 'bigint' ? BigInt.asUintN(64, call.args[0]) : asInt(call.args[0]) >>> 0).toString(2),
      isDigit: (call) => booleanValue(/\d/.test(String.fromCharCode(asInt(call.args[0])))),
      isLetter: (call) => booleanValue(/\p{L}/u.test(String.fromCharCode(asInt(call.args[0])))),
      isWhitespace: (call) => booleanValue(/\s/.test(String.fromCharCode(asInt(call.args[0])))),
      toUpperCase: (call) => String.fromCharCode(asInt(call.args[0])).toUpperCase().charCodeAt(0),
      toLowerCase: (call) => String.fromCharCode(asInt(call.args[0])).toLowerCase().charCodeAt(0),
    }, descriptor === 'Z' ? { TRUE: (jvm) => box(jvm, 1), FALSE: (jvm) => box(jvm, 0) } : {});
  }
}

function mathMethods(): Record<string, NativeMethod> {
  const numeric = (call: NativeCall, operation: (...values: number[]) => number): JavaValue => {
    const type = argumentDescriptors(call.descriptor)[0];
    if (type === 'J') {
      const values = call.args.map(asLong);
      const result = operation(...values.map(Number));
      return values.find((value) => Number(value) === result) ?? BigInt(Math.trunc(result));
    }
    const result = operation(...call.args.map(asDouble));
    return type === 'D' ? new JavaDouble(result) : type === 'F' ? Math.fround(result) : result | 0;
  };
  return {
    abs: (call) => numeric(call, Math.abs),
    max: (call) => numeric(call, Math.max),
    min: (call) => numeric(call, Math.min),
    floor: (call) => new JavaDouble(Math.floor(asDouble(call.args[0]))),
    ceil: (call) => new JavaDouble(Math.ceil(asDouble(call.args[0]))),
    sqrt: (call) => new JavaDouble(Math.sqrt(asDouble(call.args[0]))),
    pow: (call) => new JavaDouble(Math.pow(asDouble(call.args[0]), asDouble(call.args[1]))),
    round: (call) => (argumentDescriptors(call.descriptor)[0] === 'D' ? BigInt(Math.round(asDouble(call.args[0]))) : Math.round(asDouble(call.args[0])) | 0),
    // deterministic: the same payload draws the same numbers on every dummy
    random: (call) => new JavaDouble(((call.jvm.instructions * 2_654_435_761) % 1_000_003) / 1_000_003),
  };
}

function systemMethods(): Record<string, NativeMethod> {
  return {
    getProperty: (call) => {
      const name = stringArgument(call.jvm, call.args[0]);
      const value = call.jvm.context.environment.systemProperties.get(name) ?? optionalString(call.args[1] ?? null);
      call.jvm.record('other', 'java.lang.System.getProperty', `${call.jvm.callerLabel()} reads system property ${name}`, { name });
      return value;
    },
    setProperty: () => null,
    getenv: (call) => {
      if (call.args.length === 0) {
        const map = call.jvm.newObject('java/util/HashMap', new Map(call.jvm.context.environment.environmentVariables));
        return map;
      }
      const name = stringArgument(call.jvm, call.args[0]);
      call.jvm.record('other', 'java.lang.System.getenv', `${call.jvm.callerLabel()} reads environment variable ${name}`, { name });
      return call.jvm.context.environmentVariable ? call.jvm.context.environmentVariable(name) : (call.jvm.context.environment.environmentVariables.get(name) ?? null);
    },
    currentTimeMillis: (call) => BigInt(DUMMY_EPOCH_MS + Math.floor(call.jvm.context.now() + call.jvm.virtualMs)),
    nanoTime: (call) => BigInt(Math.floor((call.jvm.context.now() + call.jvm.virtualMs) * 1_000_000)) + BigInt(call.jvm.instructions),
    arraycopy: (call) => {
      const [source, sourceStart, target, targetStart, length] = call.args;
      if (!isArray(source) || !isArray(target)) return call.jvm.throwNew('java/lang/NullPointerException', 'arraycopy of null');
      const from = asInt(sourceStart);
      const to = asInt(targetStart);
      const count = asInt(length);
      if (from < 0 || to < 0 || count < 0 || from + count > source.values.length || to + count > target.values.length) call.jvm.throwNew('java/lang/ArrayIndexOutOfBoundsException', 'arraycopy: last source index out of bounds');
      target.values.splice(to, count, ...source.values.slice(from, from + count));
    },
    exit: (call) => {
      call.jvm.record('exit', 'java.lang.System.exit', `${call.jvm.callerLabel()} exits the JVM with status ${asInt(call.args[0])}`, { status: asInt(call.args[0]) });
      throw new JvmStop('exit', `System.exit(${asInt(call.args[0])})`);
    },
    lineSeparator: () => '\n',
    identityHashCode: (call) => identityHash(call.args[0]),
    getSecurityManager: () => null,
    gc: () => undefined,
  };
}

function throwableMethods(): Record<string, NativeMethod> {
  const state = (call: NativeCall): ThrowableState => {
    const object = receiverObject(call);
    if (!object.native || typeof object.native !== 'object' || !('message' in object.native)) object.native = { message: null, cause: null } satisfies ThrowableState;
    return object.native as ThrowableState;
  };
  return {
    '<init>': (call) => {
      const types = argumentDescriptors(call.descriptor);
      const throwable = state(call);
      for (const [index, type] of types.entries()) {
        const value = call.args[index];
        if (type === 'Ljava/lang/String;') throwable.message = optionalString(value);
        else if (type === 'Ljava/lang/Throwable;' && isObject(value)) {
          throwable.cause = value;
          if (types.length === 1) throwable.message = textOf(call.jvm, value);
        }
      }
    },
    getMessage: (call) => state(call).message,
    getLocalizedMessage: (call) => state(call).message,
    getCause: (call) => state(call).cause,
    initCause: (call) => {
      if (isObject(call.args[0])) state(call).cause = call.args[0];
      return call.receiver;
    },
    toString: (call: NativeCall) => {
      const message = state(call).message;
      return `${dotted(receiverObject(call).className)}${message === null ? '' : `: ${message}`}`;
    },
    printStackTrace: () => undefined,
    fillInStackTrace: (call) => call.receiver,
    addSuppressed: () => undefined,
    getStackTrace: (call) => call.jvm.newArray('Ljava/lang/StackTraceElement;', []),
    setStackTrace: () => undefined,
  };
}
