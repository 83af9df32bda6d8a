/**
 * java.util and friends as payloads use them: Base64 (java.util's, sun.misc's and JAXB's decoders
 * that hide a command), the lists and maps a command is assembled in, and Scanner for reading a
 * command's output.
 */
import { asInt, isArray, isObject, type JavaValue } from '../java-values.ts';
import type { JvmRuntime } from '../jvm-runtime.ts';
import { StreamIn } from './java-io.ts';
import { booleanValue, byteArray, bytesOf, decodeUtf8, optionalString, receiverObject, stringArgument, textOf } from './native-helpers.ts';
import type { NativeCall, NativeLibrary, NativeMethod } from './native-library.ts';

function decodeBase64(call: NativeCall, text: string, urlSafe = false): Uint8Array {
  const normalized = (urlSafe ? text.replace(/-/g, '+').replace(/_/g, '/') : text).replace(/[\r\n\s]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized)) call.jvm.throwNew('java/lang/IllegalArgumentException', 'Illegal base64 character');
  return Uint8Array.from(Buffer.from(normalized, 'base64'));
}

function base64Input(call: NativeCall): string {
  const value = call.args[0];
  return isArray(value) ? decodeUtf8(bytesOf(call.jvm, value)) : stringArgument(call.jvm, value);
}

function recordDecode(jvm: JvmRuntime, bytes: Uint8Array): void {
  const preview = decodeUtf8(bytes.subarray(0, 160)).replace(/[^\x20-\x7e]/g, '.');
  jvm.record('other', 'java.util.Base64.decode', `${jvm.callerLabel()} decodes base64 (${bytes.length} bytes): ${preview}`, { bytes: bytes.length });
}

class Base64Codec {
  constructor(readonly urlSafe: boolean) {}
}

/** the elements of a list, or of any array the payload passes where a collection goes */
export function listOf(call: NativeCall): JavaValue[] {
  const object = receiverObject(call);
  if (!Array.isArray(object.native)) object.native = [];
  return object.native as JavaValue[];
}

function elementsOf(value: JavaValue): JavaValue[] {
  if (isArray(value)) return value.values;
  if (isObject(value) && Array.isArray(value.native)) return value.native as JavaValue[];
  if (isObject(value) && value.native instanceof Map) return [...(value.native as Map<unknown, JavaValue>).keys()] as JavaValue[];
  return [];
}

/** map keys: strings by their text, everything else by identity */
function mapKey(value: JavaValue): unknown {
  return optionalString(value) !== null && (typeof value === 'string' || (isObject(value) && value.className === 'java/lang/String')) ? optionalString(value) : value;
}

function mapOf(call: NativeCall): Map<unknown, JavaValue> {
  const object = receiverObject(call);
  if (!(object.native instanceof Map)) object.native = new Map();
  return object.native as Map<unknown, JavaValue>;
}

class IteratorState {
  position = 0;
  constructor(readonly items: JavaValue[]) {}
}

function listMethods(): Record<string, NativeMethod> {
  return {
    '<init>': (call) => {
      receiverObject(call).native = isObject(call.args[0]) || isArray(call.args[0]) ? [...elementsOf(call.args[0])] : [];
    },
    add: (call) => {
      const list = listOf(call);
      if (call.args.length === 2) list.splice(asInt(call.args[0]), 0, call.args[1]);
      else list.push(call.args[0]);
      if (list.length > call.jvm.limits.maxArrayElements) call.jvm.throwNew('java/lang/OutOfMemoryError', 'list');
      return call.args.length === 2 ? undefined : 1;
    },
    addAll: (call) => {
      listOf(call).push(...elementsOf(call.args[call.args.length - 1]));
      return 1;
    },
    get: (call) => {
      const list = listOf(call);
      const index = asInt(call.args[0]);
      if (index < 0 || index >= list.length) call.jvm.throwNew('java/lang/IndexOutOfBoundsException', `Index ${index} out of bounds for length ${list.length}`);
      return list[index];
    },
    set: (call) => {
      const list = listOf(call);
      const previous = list[asInt(call.args[0])];
      list[asInt(call.args[0])] = call.args[1];
      return previous ?? null;
    },
    remove: (call) => (typeof call.args[0] === 'number' ? (listOf(call).splice(asInt(call.args[0]), 1)[0] ?? null) : booleanValue(listOf(call).splice(listOf(call).indexOf(call.args[0]), 1).length > 0)),
    size: (call) => listOf(call).length,
    isEmpty: (call) => booleanValue(listOf(call).length === 0),
    contains: (call) => booleanValue(listOf(call).some((item) => item === call.args[0] || (optionalString(item) !== null && optionalString(item) === optionalString(call.args[0])))),
    clear: (call) => void (listOf(call).length = 0),
    toArray: (call) => call.jvm.newArray(isArray(call.args[0]) ? call.args[0].component : 'Ljava/lang/Object;', [...listOf(call)]),
    iterator: (call) => call.jvm.newObject('java/util/Iterator', new IteratorState(listOf(call))),
    toString: (call: NativeCall) => `[${listOf(call).map((item) => textOf(call.jvm, item)).join(', ')}]`,
  };
}

function mapMethods(): Record<string, NativeMethod> {
  return {
    '<init>': (call) => {
      receiverObject(call).native = new Map();
    },
    get: (call) => mapOf(call).get(mapKey(call.args[0])) ?? null,
    getOrDefault: (call) => mapOf(call).get(mapKey(call.args[0])) ?? call.args[1] ?? null,
    getProperty: (call) => mapOf(call).get(mapKey(call.args[0])) ?? call.args[1] ?? null,
    put: (call) => {
      const map = mapOf(call);
      const previous = map.get(mapKey(call.args[0])) ?? null;
      map.set(mapKey(call.args[0]), call.args[1]);
      return previous;
    },
    setProperty: (call) => {
      mapOf(call).set(mapKey(call.args[0]), call.args[1]);
      return null;
    },
    containsKey: (call) => booleanValue(mapOf(call).has(mapKey(call.args[0]))),
    remove: (call) => {
      const map = mapOf(call);
      const previous = map.get(mapKey(call.args[0])) ?? null;
      map.delete(mapKey(call.args[0]));
      return previous;
    },
    size: (call) => mapOf(call).size,
    isEmpty: (call) => booleanValue(mapOf(call).size === 0),
    keySet: (call) => call.jvm.newObject('java/util/ArrayList', [...mapOf(call).keys()] as JavaValue[]),
    values: (call) => call.jvm.newObject('java/util/ArrayList', [...mapOf(call).values()]),
    clear: (call) => mapOf(call).clear(),
  };
}

export function defineJavaUtil(library: NativeLibrary): void {
  const codec = (call: NativeCall): Base64Codec => (isObject(call.receiver) && call.receiver.native instanceof Base64Codec ? call.receiver.native : new Base64Codec(false));
  library.define('java/util/Base64', 'java/lang/Object', [], {
    getDecoder: (call) => call.jvm.newObject('java/util/Base64$Decoder', new Base64Codec(false)),
    getMimeDecoder: (call) => call.jvm.newObject('java/util/Base64$Decoder', new Base64Codec(false)),
    getUrlDecoder: (call) => call.jvm.newObject('java/util/Base64$Decoder', new Base64Codec(true)),
    getEncoder: (call) => call.jvm.newObject('java/util/Base64$Encoder', new Base64Codec(false)),
    getMimeEncoder: (call) => call.jvm.newObject('java/util/Base64$Encoder', new Base64Codec(false)),
    getUrlEncoder: (call) => call.jvm.newObject('java/util/Base64$Encoder', new Base64Codec(true)),
  });
  library.define('java/util/Base64$Decoder', 'java/lang/Object', [], {
    decode: (call) => {
      const bytes = decodeBase64(call, base64Input(call), codec(call).urlSafe);
      recordDecode(call.jvm, bytes);
      return byteArray(call.jvm, bytes);
    },
  });
  library.define('java/util/Base64$Encoder', 'java/lang/Object', [], {
    encodeToString: (call) => Buffer.from(bytesOf(call.jvm, call.args[0])).toString(codec(call).urlSafe ? 'base64url' : 'base64'),
    encode: (call) => byteArray(call.jvm, Buffer.from(Buffer.from(bytesOf(call.jvm, call.args[0])).toString('base64'), 'latin1')),
  });
  const legacyDecode: NativeMethod = (call) => {
    const bytes = decodeBase64(call, base64Input(call));
    recordDecode(call.jvm, bytes);
    return byteArray(call.jvm, bytes);
  };
  library.define('sun/misc/CharacterDecoder', 'java/lang/Object', [], { decodeBuffer: legacyDecode });
  library.define('sun/misc/BASE64Decoder', 'sun/misc/CharacterDecoder', [], { '<init>': () => undefined });
  library.define('javax/xml/bind/DatatypeConverter', 'java/lang/Object', [], {
    parseBase64Binary: legacyDecode,
    printBase64Binary: (call) => Buffer.from(bytesOf(call.jvm, call.args[0])).toString('base64'),
  });
  library.define('java/util/Collection', null, ['java/lang/Iterable']);
  library.define('java/util/List', null, ['java/util/Collection']);
  library.define('java/util/Map', null, []);
  for (const name of ['java/util/AbstractList', 'java/util/ArrayList', 'java/util/LinkedList', 'java/util/Vector']) library.define(name, 'java/lang/Object', ['java/util/List'], listMethods());
  for (const name of ['java/util/HashMap', 'java/util/Hashtable', 'java/util/Properties', 'java/util/LinkedHashMap', 'java/util/TreeMap']) library.define(name, 'java/lang/Object', ['java/util/Map'], mapMethods());
  library.define('java/util/Iterator', 'java/lang/Object', [], {
    hasNext: (call) => {
      const state = receiverObject(call).native as IteratorState;
      return booleanValue(state instanceof IteratorState && state.position < state.items.length);
    },
    next: (call) => {
      const state = receiverObject(call).native as IteratorState;
      if (!(state instanceof IteratorState) || state.position >= state.items.length) return call.jvm.throwNew('java/util/NoSuchElementException', null);
      return state.items[state.position++];
    },
  });
  library.define('java/util/NoSuchElementException', 'java/lang/RuntimeException', []);
  library.define('java/util/Arrays', 'java/lang/Object', [], {
    asList: (call) => call.jvm.newObject('java/util/ArrayList', [...elementsOf(call.args[0])]),
    toString: (call: NativeCall) => (isArray(call.args[0]) ? `[${call.args[0].values.map((item) => textOf(call.jvm, item, call.args[0] && isArray(call.args[0]) ? call.args[0].component : '')).join(', ')}]` : 'null'),
    copyOf: (call) => (isArray(call.args[0]) ? call.jvm.newArray(call.args[0].component, call.args[0].values.slice(0, asInt(call.args[1]))) : null),
    copyOfRange: (call) => (isArray(call.args[0]) ? call.jvm.newArray(call.args[0].component, call.args[0].values.slice(asInt(call.args[1]), asInt(call.args[2]))) : null),
  });
  library.define('java/util/Collections', 'java/lang/Object', [], {
    singletonList: (call) => call.jvm.newObject('java/util/ArrayList', [call.args[0]]),
    emptyList: (call) => call.jvm.newObject('java/util/ArrayList', []),
  });
  library.define('java/util/Scanner', 'java/lang/Object', [], {
    '<init>': (call) => {
      const inner = call.args[0];
      receiverObject(call).native = isObject(inner) && inner.native instanceof StreamIn ? inner.native : new StreamIn({ read: () => null, available: () => 0, close: () => undefined });
    },
    useDelimiter: (call) => call.receiver,
    hasNext: (call) => booleanValue(((receiverObject(call).native as StreamIn).source.available() ?? 0) > 0),
    hasNextLine: (call) => booleanValue(((receiverObject(call).native as StreamIn).source.available() ?? 0) > 0),
    next: (call) => readRest(call),
    nextLine: (call) => readRest(call).split('\n')[0] ?? '',
    close: () => undefined,
  });
}

function readRest(call: NativeCall): string {
  const source = (receiverObject(call).native as StreamIn).source;
  const chunks: string[] = [];
  for (let chunk = source.read(65_536); chunk && chunk.length > 0; chunk = source.read(65_536)) chunks.push(decodeUtf8(chunk));
  if (chunks.length === 0) call.jvm.throwNew('java/util/NoSuchElementException', null);
  return chunks.join('');
}
