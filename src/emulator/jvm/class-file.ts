/**
 * A Java class file (JVMS §4) read into what the interpreter runs: the constant pool, fields,
 * methods with their Code (bytecode, exception table) and the bootstrap methods string
 * concatenation uses. The bytes come from an attacker's server: a malformed file is a named
 * problem in the result, never an exception out of here.
 */

export type Constant =
  | { tag: 'utf8'; value: string }
  | { tag: 'integer'; value: number }
  | { tag: 'float'; value: number }
  | { tag: 'long'; value: bigint }
  | { tag: 'double'; value: number }
  | { tag: 'class'; nameIndex: number }
  | { tag: 'string'; stringIndex: number }
  | { tag: 'fieldref' | 'methodref' | 'interfaceMethodref'; classIndex: number; nameAndTypeIndex: number }
  | { tag: 'nameAndType'; nameIndex: number; descriptorIndex: number }
  | { tag: 'methodHandle'; referenceKind: number; referenceIndex: number }
  | { tag: 'methodType'; descriptorIndex: number }
  | { tag: 'dynamic' | 'invokeDynamic'; bootstrapIndex: number; nameAndTypeIndex: number }
  | { tag: 'module' | 'package'; nameIndex: number }
  /** the second slot of a long or double */
  | { tag: 'unusable' };

export interface ExceptionHandler {
  startPc: number;
  endPc: number;
  handlerPc: number;
  /** internal class name caught; null catches everything (finally, catch-all) */
  catchType: string | null;
}

export interface MethodCode {
  maxStack: number;
  maxLocals: number;
  bytecode: Uint8Array;
  handlers: ExceptionHandler[];
}

export interface MethodInfo {
  name: string;
  descriptor: string;
  accessFlags: number;
  /** absent for abstract and native methods */
  code: MethodCode | null;
}

export interface FieldInfo {
  name: string;
  descriptor: string;
  accessFlags: number;
  /** a static final field's ConstantValue pool index */
  constantValueIndex: number | null;
}

export interface BootstrapMethod {
  methodHandleIndex: number;
  argumentIndexes: number[];
}

export interface MemberReference {
  className: string;
  name: string;
  descriptor: string;
}

export const ACC_PUBLIC = 0x0001;
export const ACC_STATIC = 0x0008;
export const ACC_NATIVE = 0x0100;
export const ACC_ABSTRACT = 0x0400;

export class ClassFile {
  constructor(
    readonly name: string,
    readonly superName: string | null,
    readonly interfaces: readonly string[],
    readonly accessFlags: number,
    readonly constants: readonly Constant[],
    readonly fields: readonly FieldInfo[],
    readonly methods: readonly MethodInfo[],
    readonly bootstrapMethods: readonly BootstrapMethod[],
  ) {}

  method(name: string, descriptor: string): MethodInfo | undefined {
    return this.methods.find((method) => method.name === name && method.descriptor === descriptor);
  }

  utf8(index: number): string {
    const constant = this.constants[index];
    if (constant?.tag !== 'utf8') throw new ClassFormatProblem(`constant ${index} is not Utf8`);
    return constant.value;
  }

  className(index: number): string {
    const constant = this.constants[index];
    if (constant?.tag !== 'class') throw new ClassFormatProblem(`constant ${index} is not a Class`);
    return this.utf8(constant.nameIndex);
  }

  nameAndType(index: number): { name: string; descriptor: string } {
    const constant = this.constants[index];
    if (constant?.tag !== 'nameAndType') throw new ClassFormatProblem(`constant ${index} is not a NameAndType`);
    return { name: this.utf8(constant.nameIndex), descriptor: this.utf8(constant.descriptorIndex) };
  }

  member(index: number): MemberReference {
    const constant = this.constants[index];
    if (constant?.tag !== 'fieldref' && constant?.tag !== 'methodref' && constant?.tag !== 'interfaceMethodref') throw new ClassFormatProblem(`constant ${index} is not a member reference`);
    return { className: this.className(constant.classIndex), ...this.nameAndType(constant.nameAndTypeIndex) };
  }
}

/** A class file the reader cannot use; thrown inside the reader and by constant-pool accessors. */
export class ClassFormatProblem extends Error {}

export type ClassFileResult = { ok: true; classFile: ClassFile } | { ok: false; problem: string };

const MAGIC = 0xcafebabe;
/** Java 1.1 through 21: what a payload server hands out */
const MAX_MAJOR_VERSION = 65;

export function readClassFile(bytes: Uint8Array): ClassFileResult {
  try {
    return { ok: true, classFile: new ClassReader(bytes).read() };
  } catch (error) {
    if (error instanceof ClassFormatProblem || error instanceof RangeError) return { ok: false, problem: error.message };
    throw error;
  }
}

export function isClassFile(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && bytes[0] === 0xca && bytes[1] === 0xfe && bytes[2] === 0xba && bytes[3] === 0xbe;
}

class ClassReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  read(): ClassFile {
    if (this.u4() !== MAGIC) throw new ClassFormatProblem('no CAFEBABE magic');
    this.u2();
    const major = this.u2();
    if (major < 45 || major > MAX_MAJOR_VERSION) throw new ClassFormatProblem(`class file version ${major} unknown`);
    const constants = this.constantPool();
    const provisional = new ClassFile('', null, [], 0, constants, [], [], []);
    const accessFlags = this.u2();
    const name = provisional.className(this.u2());
    const superIndex = this.u2();
    const superName = superIndex === 0 ? null : provisional.className(superIndex);
    const interfaces = Array.from({ length: this.u2() }, () => provisional.className(this.u2()));
    const fields = Array.from({ length: this.u2() }, () => this.field(provisional));
    const methods = Array.from({ length: this.u2() }, () => this.method(provisional));
    const bootstrapMethods: BootstrapMethod[] = [];
    this.attributes(provisional, (attribute, end) => {
      if (attribute !== 'BootstrapMethods') return;
      for (let count = this.u2(); count > 0; count--) {
        const methodHandleIndex = this.u2();
        bootstrapMethods.push({ methodHandleIndex, argumentIndexes: Array.from({ length: this.u2() }, () => this.u2()) });
      }
      this.expectAt(end, attribute);
    });
    return new ClassFile(name, superName, interfaces, accessFlags, constants, fields, methods, bootstrapMethods);
  }

  private constantPool(): Constant[] {
    const count = this.u2();
    const constants: Constant[] = [{ tag: 'unusable' }];
    while (constants.length < count) {
      const tag = this.u1();
      const constant = this.constant(tag);
      constants.push(constant);
      if (constant.tag === 'long' || constant.tag === 'double') constants.push({ tag: 'unusable' });
    }
    return constants;
  }

  private constant(tag: number): Constant {
    switch (tag) {
      case 1:
        return { tag: 'utf8', value: decodeModifiedUtf8(this.take(this.u2())) };
      case 3:
        return { tag: 'integer', value: this.view.getInt32(this.advance(4)) };
      case 4:
        return { tag: 'float', value: this.view.getFloat32(this.advance(4)) };
      case 5:
        return { tag: 'long', value: this.view.getBigInt64(this.advance(8)) };
      case 6:
        return { tag: 'double', value: this.view.getFloat64(this.advance(8)) };
      case 7:
        return { tag: 'class', nameIndex: this.u2() };
      case 8:
        return { tag: 'string', stringIndex: this.u2() };
      case 9:
      case 10:
      case 11:
        return { tag: tag === 9 ? 'fieldref' : tag === 10 ? 'methodref' : 'interfaceMethodref', classIndex: this.u2(), nameAndTypeIndex: this.u2() };
      case 12:
        return { tag: 'nameAndType', nameIndex: this.u2(), descriptorIndex: this.u2() };
      case 15:
        return { tag: 'methodHandle', referenceKind: this.u1(), referenceIndex: this.u2() };
      case 16:
        return { tag: 'methodType', descriptorIndex: this.u2() };
      case 17:
      case 18:
        return { tag: tag === 17 ? 'dynamic' : 'invokeDynamic', bootstrapIndex: this.u2(), nameAndTypeIndex: this.u2() };
      case 19:
      case 20:
        return { tag: tag === 19 ? 'module' : 'package', nameIndex: this.u2() };
      default:
        throw new ClassFormatProblem(`constant pool tag ${tag} unknown at byte ${this.offset - 1}`);
    }
  }

  private field(pool: ClassFile): FieldInfo {
    const accessFlags = this.u2();
    const name = pool.utf8(this.u2());
    const descriptor = pool.utf8(this.u2());
    let constantValueIndex: number | null = null;
    this.attributes(pool, (attribute) => {
      if (attribute === 'ConstantValue') constantValueIndex = this.u2();
    });
    return { name, descriptor, accessFlags, constantValueIndex };
  }

  private method(pool: ClassFile): MethodInfo {
    const accessFlags = this.u2();
    const name = pool.utf8(this.u2());
    const descriptor = pool.utf8(this.u2());
    let code: MethodCode | null = null;
    this.attributes(pool, (attribute, end) => {
      if (attribute !== 'Code') return;
      const maxStack = this.u2();
      const maxLocals = this.u2();
      const bytecode = this.take(this.u4());
      const handlers = Array.from({ length: this.u2() }, () => {
        const startPc = this.u2();
        const endPc = this.u2();
        const handlerPc = this.u2();
        const catchIndex = this.u2();
        return { startPc, endPc, handlerPc, catchType: catchIndex === 0 ? null : pool.className(catchIndex) };
      });
      // the Code attribute's own attributes (line numbers, stack maps) are not needed
      this.offset = end;
      code = { maxStack, maxLocals, bytecode, handlers };
    });
    return { name, descriptor, accessFlags, code };
  }

  /** Calls `read` positioned at each attribute's content; the reader always continues at its end. */
  private attributes(pool: ClassFile, read: (name: string, end: number) => void): void {
    for (let count = this.u2(); count > 0; count--) {
      const name = pool.utf8(this.u2());
      const length = this.u4();
      const end = this.offset + length;
      if (end > this.bytes.length) throw new ClassFormatProblem(`attribute ${name} runs past the end of the file`);
      read(name, end);
      this.offset = end;
    }
  }

  private expectAt(end: number, attribute: string): void {
    if (this.offset !== end) throw new ClassFormatProblem(`attribute ${attribute} length does not match its content`);
  }

  private advance(length: number): number {
    const start = this.offset;
    if (start + length > this.bytes.length) throw new ClassFormatProblem(`truncated at byte ${start}: ${length} more bytes expected`);
    this.offset += length;
    return start;
  }

  private take(length: number): Uint8Array {
    const start = this.advance(length);
    return this.bytes.subarray(start, start + length);
  }

  private u1(): number {
    return this.view.getUint8(this.advance(1));
  }

  private u2(): number {
    return this.view.getUint16(this.advance(2));
  }

  private u4(): number {
    return this.view.getUint32(this.advance(4));
  }
}

/** Java's modified UTF-8 (JVMS §4.4.7) straight into UTF-16 code units, as java.lang.String holds them. */
export function decodeModifiedUtf8(bytes: Uint8Array): string {
  const units: number[] = [];
  for (let index = 0; index < bytes.length; ) {
    const first = bytes[index]!;
    if (first < 0x80) {
      units.push(first);
      index++;
    } else if ((first & 0xe0) === 0xc0 && index + 1 < bytes.length) {
      units.push(((first & 0x1f) << 6) | (bytes[index + 1]! & 0x3f));
      index += 2;
    } else if ((first & 0xf0) === 0xe0 && index + 2 < bytes.length) {
      units.push(((first & 0x0f) << 12) | ((bytes[index + 1]! & 0x3f) << 6) | (bytes[index + 2]! & 0x3f));
      index += 3;
    } else {
      throw new ClassFormatProblem(`malformed modified UTF-8 byte 0x${first.toString(16)}`);
    }
  }
  let text = '';
  for (let start = 0; start < units.length; start += 8_192) text += String.fromCharCode(...units.slice(start, start + 8_192));
  return text;
}
