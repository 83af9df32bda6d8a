/**
 * java.io streams, readers and writers over two native shapes: a byte source (a socket, a process's
 * output, a byte array, a download) and a byte sink (a socket, a process's input, a byte array, a
 * console). Wrappers (BufferedReader, PrintWriter, DataOutputStream …) share their inner stream's
 * source or sink, which is all a payload's copy loops need.
 */
import { concatBytes } from '../../../core/index.ts';
import { argumentDescriptors } from '../descriptors.ts';
import { asInt, isArray, isObject, type JavaValue } from '../java-values.ts';
import { booleanValue, byteArray, bytesOf, decodeUtf8, encodeText, optionalString, receiverObject, textOf } from './native-helpers.ts';
import type { NativeCall, NativeLibrary, NativeMethod } from './native-library.ts';

export interface ByteSource {
  /** up to `max` bytes; empty when nothing is there now; null at the end of the stream */
  read(max: number): Uint8Array | null;
  available(): number;
  close(): void;
}

export interface ByteSink {
  write(bytes: Uint8Array): void;
  flush(): void;
  close(): void;
}

export class StreamIn {
  constructor(readonly source: ByteSource) {}
}

export class StreamOut {
  constructor(readonly sink: ByteSink) {}
}

/** bytes held in memory: a ByteArrayInputStream, a finished process's output, a download */
export class BufferSource implements ByteSource {
  private offset = 0;
  constructor(
    private bytes: Uint8Array,
    /** more may come later (a process still running): empty reads instead of end of stream */
    public open = false,
  ) {}

  append(more: Uint8Array): void {
    const joined = new Uint8Array(this.bytes.length - this.offset + more.length);
    joined.set(this.bytes.subarray(this.offset));
    joined.set(more, this.bytes.length - this.offset);
    this.bytes = joined;
    this.offset = 0;
  }

  read(max: number): Uint8Array | null {
    if (this.offset >= this.bytes.length) return this.open ? new Uint8Array(0) : null;
    const chunk = this.bytes.subarray(this.offset, this.offset + max);
    this.offset += chunk.length;
    return chunk;
  }

  available(): number {
    return this.bytes.length - this.offset;
  }

  close(): void {
    this.offset = this.bytes.length;
    this.open = false;
  }
}

/** a ByteArrayOutputStream, or a console nobody reads */
export class CollectingSink implements ByteSink {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  constructor(private readonly maxBytes = 1 << 20) {}

  write(bytes: Uint8Array): void {
    if (this.total + bytes.length > this.maxBytes) return;
    this.chunks.push(bytes.slice());
    this.total += bytes.length;
  }
  flush(): void {}
  close(): void {}

  bytes(): Uint8Array {
    const joined = new Uint8Array(this.total);
    let offset = 0;
    for (const chunk of this.chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    return joined;
  }
}

function inputOf(call: NativeCall): ByteSource {
  const object = receiverObject(call);
  if (object.native instanceof StreamIn) return object.native.source;
  return call.jvm.throwNew('java/io/IOException', `${call.className} has no data source`);
}

function outputOf(call: NativeCall): ByteSink {
  const object = receiverObject(call);
  if (object.native instanceof StreamOut) return object.native.sink;
  // System.out and other consoles: written, never read
  object.native = new StreamOut(new CollectingSink(65_536));
  return (object.native as StreamOut).sink;
}

/** the source or sink a wrapper's constructor argument carries */
function innerStream(value: JavaValue): StreamIn | StreamOut | null {
  if (isObject(value) && (value.native instanceof StreamIn || value.native instanceof StreamOut)) return value.native;
  return null;
}

function readByte(source: ByteSource): number {
  const chunk = source.read(1);
  return chunk && chunk.length > 0 ? chunk[0]! : -1;
}

function readLine(source: ByteSource): string | null {
  const bytes: number[] = [];
  for (;;) {
    const byte = readByte(source);
    if (byte < 0) return bytes.length > 0 ? decodeUtf8(Uint8Array.from(bytes)) : null;
    if (byte === 0x0a) return decodeUtf8(Uint8Array.from(bytes)).replace(/\r$/, '');
    if (bytes.length >= 1 << 20) return decodeUtf8(Uint8Array.from(bytes));
    bytes.push(byte);
  }
}

function readAll(source: ByteSource, max = 1 << 20): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const chunk = source.read(65_536);
    if (!chunk || chunk.length === 0 || total >= max) break;
    chunks.push(chunk);
    total += chunk.length;
  }
  return concatBytes(chunks);
}

/** read([B) / read([BII): bytes copied into the array, -1 at the end */
function readInto(call: NativeCall, source: ByteSource): number {
  const array = call.args[0];
  if (!isArray(array)) return call.jvm.throwNew('java/lang/NullPointerException', 'read into null');
  const offset = call.args.length > 1 ? asInt(call.args[1]) : 0;
  const length = call.args.length > 1 ? asInt(call.args[2]) : array.values.length;
  if (length === 0) return 0;
  const chunk = source.read(Math.max(0, Math.min(length, array.values.length - offset)));
  if (chunk === null) return -1;
  for (let index = 0; index < chunk.length; index++) array.values[offset + index] = (chunk[index]! << 24) >> 24;
  return chunk.length === 0 ? -1 : chunk.length;
}

function wrapIn(call: NativeCall): void {
  const inner = innerStream(call.args[0]);
  const object = receiverObject(call);
  if (inner instanceof StreamIn) object.native = inner;
  else if (isArray(call.args[0])) object.native = new StreamIn(new BufferSource(bytesOf(call.jvm, call.args[0])));
  else object.native = new StreamIn(new BufferSource(new Uint8Array(0)));
}

function wrapOut(call: NativeCall): void {
  const inner = innerStream(call.args[0]);
  receiverObject(call).native = inner instanceof StreamOut ? inner : new StreamOut(new CollectingSink());
}

function inputMethods(): Record<string, NativeMethod> {
  return {
    '<init>': wrapIn,
    read: (call) => (call.args.length === 0 ? readByte(inputOf(call)) : readInto(call, inputOf(call))),
    available: (call) => inputOf(call).available(),
    ready: (call) => booleanValue(inputOf(call).available() > 0),
    skip: (call) => {
      const chunk = inputOf(call).read(Number(call.args[0] ?? 0));
      return BigInt(chunk?.length ?? 0);
    },
    readAllBytes: (call) => byteArray(call.jvm, readAll(inputOf(call))),
    readLine: (call) => readLine(inputOf(call)),
    close: (call) => inputOf(call).close(),
    mark: () => undefined,
    markSupported: () => 0,
  };
}

function outputMethods(): Record<string, NativeMethod> {
  const writeText = (call: NativeCall, text: string) => outputOf(call).write(encodeText(text));
  const print = (call: NativeCall, newline: boolean) => {
    const text = call.args.length === 0 ? '' : textOf(call.jvm, call.args[0], argumentDescriptors(call.descriptor)[0]);
    writeText(call, newline ? `${text}\n` : text);
  };
  return {
    '<init>': wrapOut,
    write: (call) => {
      const type = argumentDescriptors(call.descriptor)[0];
      const [value, offset, length] = call.args;
      if (type === 'I') {
        // OutputStream.write(int) takes a byte; Writer.write(int) a char
        if (call.jvm.isSubclass(receiverObject(call).className, 'java/io/Writer')) writeText(call, String.fromCharCode(asInt(value)));
        else outputOf(call).write(Uint8Array.of(asInt(value) & 0xff));
      } else if (type === '[B') outputOf(call).write(call.args.length > 1 ? bytesOf(call.jvm, value, asInt(offset), asInt(length)) : bytesOf(call.jvm, value));
      else if (type === '[C' && isArray(value)) writeText(call, String.fromCharCode(...value.values.slice(call.args.length > 1 ? asInt(offset) : 0).slice(0, call.args.length > 1 ? asInt(length) : undefined).map(asInt)));
      else {
        const text = optionalString(value) ?? 'null';
        writeText(call, call.args.length > 1 ? text.slice(asInt(offset), asInt(offset) + asInt(length)) : text);
      }
    },
    writeBytes: (call) => writeText(call, optionalString(call.args[0]) ?? ''),
    writeUTF: (call) => {
      const bytes = encodeText(optionalString(call.args[0]) ?? '');
      outputOf(call).write(Uint8Array.of(bytes.length >> 8, bytes.length & 0xff, ...bytes));
    },
    append: (call) => {
      writeText(call, argumentDescriptors(call.descriptor)[0] === 'C' ? String.fromCharCode(asInt(call.args[0])) : (optionalString(call.args[0]) ?? 'null'));
      return call.receiver;
    },
    print: (call) => print(call, false),
    println: (call) => print(call, true),
    printf: (call) => {
      writeText(call, textOf(call.jvm, call.jvm.invokeStatic('java/lang/String', 'format', '(Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/String;', call.args)));
      return call.receiver;
    },
    newLine: (call) => writeText(call, '\n'),
    flush: (call) => outputOf(call).flush(),
    close: (call) => outputOf(call).close(),
    toByteArray: (call) => {
      const sink = outputOf(call);
      return byteArray(call.jvm, sink instanceof CollectingSink ? sink.bytes() : new Uint8Array(0));
    },
    toString: (call: NativeCall) => {
      const sink = outputOf(call);
      return sink instanceof CollectingSink ? decodeUtf8(sink.bytes()) : `${call.className}@${receiverObject(call).id}`;
    },
    size: (call) => {
      const sink = outputOf(call);
      return sink instanceof CollectingSink ? sink.bytes().length : 0;
    },
  };
}

export function defineJavaIo(library: NativeLibrary): void {
  library.define('java/io/Closeable', null, []);
  library.define('java/io/InputStream', 'java/lang/Object', ['java/io/Closeable'], inputMethods());
  library.define('java/io/Reader', 'java/lang/Object', ['java/io/Closeable'], inputMethods());
  library.define('java/io/OutputStream', 'java/lang/Object', ['java/io/Closeable'], outputMethods());
  library.define('java/io/Writer', 'java/lang/Object', ['java/io/Closeable'], outputMethods());
  for (const name of ['BufferedInputStream', 'DataInputStream', 'ByteArrayInputStream', 'FilterInputStream']) library.define(`java/io/${name}`, 'java/io/InputStream', []);
  for (const name of ['InputStreamReader', 'BufferedReader', 'StringReader']) library.define(`java/io/${name}`, 'java/io/Reader', []);
  library.define('java/io/StringReader', 'java/io/Reader', [], {
    '<init>': (call) => {
      receiverObject(call).native = new StreamIn(new BufferSource(encodeText(optionalString(call.args[0]) ?? '')));
    },
  });
  for (const name of ['BufferedOutputStream', 'DataOutputStream', 'ByteArrayOutputStream', 'FilterOutputStream', 'PrintStream']) library.define(`java/io/${name}`, 'java/io/OutputStream', []);
  for (const name of ['OutputStreamWriter', 'BufferedWriter', 'PrintWriter', 'StringWriter']) library.define(`java/io/${name}`, 'java/io/Writer', []);
}
