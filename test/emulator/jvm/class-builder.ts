/**
 * A tiny Java class-file assembler for tests: a constant pool built on demand, methods written as
 * bytecode with labels, exception tables, fields. What it makes is an ordinary class file (version
 * 52, Java 8) that a JVM would load; no javac is needed, so the tests run everywhere.
 */

const encoder = new TextEncoder();

export class ClassBuilder {
  private readonly pool: number[][] = [];
  private readonly poolIndex = new Map<string, number>();
  private readonly methods: number[][] = [];
  private readonly fields: number[][] = [];
  private readonly bootstrapMethods: number[][] = [];
  private readonly thisIndex: number;
  private readonly superIndex: number;
  private readonly interfaceIndexes: number[];

  constructor(
    readonly name: string,
    superName = 'java/lang/Object',
    interfaces: string[] = [],
  ) {
    this.thisIndex = this.classRef(name);
    this.superIndex = this.classRef(superName);
    this.interfaceIndexes = interfaces.map((implemented) => this.classRef(implemented));
  }

  private constant(key: string, bytes: number[]): number {
    const known = this.poolIndex.get(key);
    if (known !== undefined) return known;
    const index = this.pool.reduce((count, entry) => count + (entry[0] === 5 || entry[0] === 6 ? 2 : 1), 1);
    this.pool.push(bytes);
    this.poolIndex.set(key, index);
    return index;
  }

  utf8(text: string): number {
    const bytes = [...encoder.encode(text)];
    return this.constant(`utf8:${text}`, [1, ...u2(bytes.length), ...bytes]);
  }
  integer(value: number): number {
    return this.constant(`int:${value}`, [3, ...u4(value)]);
  }
  long(value: bigint): number {
    const high = Number(BigInt.asUintN(64, value) >> 32n);
    const low = Number(BigInt.asUintN(32, value));
    return this.constant(`long:${value}`, [5, ...u4(high), ...u4(low)]);
  }
  classRef(name: string): number {
    return this.constant(`class:${name}`, [7, ...u2(this.utf8(name))]);
  }
  string(text: string): number {
    return this.constant(`string:${text}`, [8, ...u2(this.utf8(text))]);
  }
  nameAndType(name: string, descriptor: string): number {
    return this.constant(`nat:${name}:${descriptor}`, [12, ...u2(this.utf8(name)), ...u2(this.utf8(descriptor))]);
  }
  member(tag: 9 | 10 | 11, owner: string, name: string, descriptor: string): number {
    return this.constant(`member${tag}:${owner}.${name}${descriptor}`, [tag, ...u2(this.classRef(owner)), ...u2(this.nameAndType(name, descriptor))]);
  }
  methodHandle(kind: number, owner: string, name: string, descriptor: string, isInterface = false): number {
    return this.constant(`handle:${kind}:${owner}.${name}${descriptor}`, [15, kind, ...u2(this.member(isInterface ? 11 : 10, owner, name, descriptor))]);
  }
  methodType(descriptor: string): number {
    return this.constant(`mtype:${descriptor}`, [16, ...u2(this.utf8(descriptor))]);
  }
  invokeDynamic(bootstrap: { handle: number; args: number[] }, name: string, descriptor: string): number {
    const index = this.bootstrapMethods.length;
    this.bootstrapMethods.push([...u2(bootstrap.handle), ...u2(bootstrap.args.length), ...bootstrap.args.flatMap(u2)]);
    return this.constant(`indy:${index}:${name}${descriptor}`, [18, ...u2(index), ...u2(this.nameAndType(name, descriptor))]);
  }

  field(name: string, descriptor: string, flags = 0x0008): this {
    this.fields.push([...u2(flags), ...u2(this.utf8(name)), ...u2(this.utf8(descriptor)), 0, 0]);
    return this;
  }

  /** a method whose body `write` assembles; flags default to public (static when the name says so) */
  method(name: string, descriptor: string, write: (code: CodeAssembler) => void, options: { flags?: number; maxLocals?: number } = {}): this {
    const code = new CodeAssembler(this);
    write(code);
    const { bytecode, handlers } = code.assemble();
    const attribute = [
      ...u2(16), // max stack
      ...u2(options.maxLocals ?? 8),
      ...u4(bytecode.length),
      ...bytecode,
      ...u2(handlers.length),
      ...handlers.flat(),
      ...u2(0),
    ];
    const flags = options.flags ?? (name === '<clinit>' ? 0x0008 : 0x0001);
    this.methods.push([...u2(flags), ...u2(this.utf8(name)), ...u2(this.utf8(descriptor)), ...u2(1), ...u2(this.utf8('Code')), ...u4(attribute.length), ...attribute]);
    return this;
  }

  /** `public <init>() { super(); }` */
  defaultConstructor(superName = 'java/lang/Object'): this {
    return this.method('<init>', '()V', (code) => code.aload(0).invokespecial(superName, '<init>', '()V').return());
  }

  build(): Uint8Array {
    const attributes: number[][] = [];
    if (this.bootstrapMethods.length > 0) {
      const body = [...u2(this.bootstrapMethods.length), ...this.bootstrapMethods.flat()];
      attributes.push([...u2(this.utf8('BootstrapMethods')), ...u4(body.length), ...body]);
    }
    const poolCount = this.pool.reduce((count, entry) => count + (entry[0] === 5 || entry[0] === 6 ? 2 : 1), 1);
    return Uint8Array.from([
      0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52,
      ...u2(poolCount),
      ...this.pool.flat(),
      ...u2(0x0021),
      ...u2(this.thisIndex),
      ...u2(this.superIndex),
      ...u2(this.interfaceIndexes.length),
      ...this.interfaceIndexes.flatMap(u2),
      ...u2(this.fields.length),
      ...this.fields.flat(),
      ...u2(this.methods.length),
      ...this.methods.flat(),
      ...u2(attributes.length),
      ...attributes.flat(),
    ]);
  }
}

type Fixup = { at: number; from: number; label: string; wide: boolean };

export class CodeAssembler {
  private readonly bytes: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];
  private readonly tries: { start: string; end: string; handler: string; type: string | null }[] = [];

  constructor(private readonly owner: ClassBuilder) {}

  op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }
  label(name: string): this {
    this.labels.set(name, this.bytes.length);
    return this;
  }
  private jump(opcode: number, label: string): this {
    const from = this.bytes.length;
    this.bytes.push(opcode, 0, 0);
    this.fixups.push({ at: from + 1, from, label, wide: false });
    return this;
  }

  iconst(value: number): this {
    if (value >= -1 && value <= 5) return this.op(0x03 + value);
    if (value >= -128 && value <= 127) return this.op(0x10, value & 0xff);
    if (value >= -32768 && value <= 32767) return this.op(0x11, ...u2(value & 0xffff));
    return this.ldcIndex(this.owner.integer(value));
  }
  ldc(text: string): this {
    return this.ldcIndex(this.owner.string(text));
  }
  ldcClass(name: string): this {
    return this.ldcIndex(this.owner.classRef(name));
  }
  ldc2(value: bigint): this {
    return this.op(0x14, ...u2(this.owner.long(value)));
  }
  private ldcIndex(index: number): this {
    return index < 256 ? this.op(0x12, index) : this.op(0x13, ...u2(index));
  }
  aconstNull(): this {
    return this.op(0x01);
  }
  aload(slot: number): this {
    return this.op(0x19, slot);
  }
  astore(slot: number): this {
    return this.op(0x3a, slot);
  }
  iload(slot: number): this {
    return this.op(0x15, slot);
  }
  istore(slot: number): this {
    return this.op(0x36, slot);
  }
  iinc(slot: number, amount: number): this {
    return this.op(0x84, slot, amount & 0xff);
  }
  dup(): this {
    return this.op(0x59);
  }
  pop(): this {
    return this.op(0x57);
  }
  iadd(): this {
    return this.op(0x60);
  }
  aastore(): this {
    return this.op(0x53);
  }
  arraylength(): this {
    return this.op(0xbe);
  }
  return(): this {
    return this.op(0xb1);
  }
  areturn(): this {
    return this.op(0xb0);
  }
  ireturn(): this {
    return this.op(0xac);
  }
  athrow(): this {
    return this.op(0xbf);
  }
  new(className: string): this {
    return this.op(0xbb, ...u2(this.owner.classRef(className)));
  }
  anewarray(className: string): this {
    return this.op(0xbd, ...u2(this.owner.classRef(className)));
  }
  newarray(atype: number): this {
    return this.op(0xbc, atype);
  }
  checkcast(className: string): this {
    return this.op(0xc0, ...u2(this.owner.classRef(className)));
  }
  getstatic(owner: string, name: string, descriptor: string): this {
    return this.op(0xb2, ...u2(this.owner.member(9, owner, name, descriptor)));
  }
  putstatic(owner: string, name: string, descriptor: string): this {
    return this.op(0xb3, ...u2(this.owner.member(9, owner, name, descriptor)));
  }
  invokestatic(owner: string, name: string, descriptor: string): this {
    return this.op(0xb8, ...u2(this.owner.member(10, owner, name, descriptor)));
  }
  invokevirtual(owner: string, name: string, descriptor: string): this {
    return this.op(0xb6, ...u2(this.owner.member(10, owner, name, descriptor)));
  }
  invokespecial(owner: string, name: string, descriptor: string): this {
    return this.op(0xb7, ...u2(this.owner.member(10, owner, name, descriptor)));
  }
  invokeinterface(owner: string, name: string, descriptor: string, argumentSlots: number): this {
    return this.op(0xb9, ...u2(this.owner.member(11, owner, name, descriptor)), argumentSlots + 1, 0);
  }
  invokedynamic(index: number): this {
    return this.op(0xba, ...u2(index), 0, 0);
  }
  goto(label: string): this {
    return this.jump(0xa7, label);
  }
  ifeq(label: string): this {
    return this.jump(0x99, label);
  }
  ifne(label: string): this {
    return this.jump(0x9a, label);
  }
  ifIcmpLt(label: string): this {
    return this.jump(0xa1, label);
  }
  ifnull(label: string): this {
    return this.jump(0xc6, label);
  }
  /** an exception-table entry: [start, end) handled at `handler`; null type catches everything */
  tryCatch(start: string, end: string, handler: string, type: string | null): this {
    this.tries.push({ start, end, handler, type });
    return this;
  }

  assemble(): { bytecode: number[]; handlers: number[][] } {
    const at = (label: string): number => {
      const position = this.labels.get(label);
      if (position === undefined) throw new Error(`label ${label} not defined`);
      return position;
    };
    for (const fixup of this.fixups) {
      const offset = (at(fixup.label) - fixup.from) & 0xffff;
      this.bytes[fixup.at] = offset >> 8;
      this.bytes[fixup.at + 1] = offset & 0xff;
    }
    const handlers = this.tries.map((entry) => [...u2(at(entry.start)), ...u2(at(entry.end)), ...u2(at(entry.handler)), ...u2(entry.type === null ? 0 : this.owner.classRef(entry.type))]);
    return { bytecode: this.bytes, handlers };
  }
}

function u2(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

function u4(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}
