/**
 * The JVM instruction set (JVMS §6.5) over one method's frame: operand stack, locals, branches,
 * switches, arrays, fields, calls (through the runtime, which owns dispatch), exceptions caught by
 * the method's own exception table. Every instruction counts against the run's limit. Verification
 * is not done: bytecode that would fail it runs until it does something impossible, which is a
 * Java exception or a default value, never a crash of crashtest.
 */
import type { MethodCode, MethodInfo } from './class-file.ts';
import { invokeDynamic } from './invoke-dynamic.ts';
import { argumentDescriptors, returnDescriptor } from './descriptors.ts';
import {
  asDouble,
  asInt,
  asLong,
  classNameOf,
  defaultValue,
  doubleToInt,
  doubleToLong,
  isCategory2,
  JavaDouble,
  wrapLong,
  type JavaArray,
  type JavaObject,
  type JavaReference,
  type JavaValue,
} from './java-values.ts';
import { JavaThrow, JvmStop } from './jvm-signals.ts';
import { dotted, type JvmRuntime, type LoadedClass } from './jvm-runtime.ts';
import { isSystemClass } from './library/native-library.ts';

const ARRAY_TYPES: Record<number, string> = { 4: 'Z', 5: 'C', 6: 'F', 7: 'D', 8: 'B', 9: 'S', 10: 'I', 11: 'J' };
const WALL_CHECK_MASK = 0x3fff;

export function executeMethod(runtime: JvmRuntime, loaded: LoadedClass, method: MethodInfo, code: MethodCode, args: JavaValue[]): JavaValue {
  const locals: JavaValue[] = new Array<JavaValue>(Math.max(code.maxLocals, args.length * 2)).fill(undefined);
  let slot = 0;
  const isStatic = (method.accessFlags & 0x0008) !== 0;
  const types = isStatic ? argumentDescriptors(method.descriptor) : ['L', ...argumentDescriptors(method.descriptor)];
  args.forEach((value, index) => {
    locals[slot] = value;
    slot += types[index] === 'J' || types[index] === 'D' ? 2 : 1;
  });
  const frame = new Frame(runtime, loaded, code, locals);
  return frame.run();
}

class Frame {
  private readonly stack: JavaValue[] = [];
  private pc = 0;
  private readonly bytecode: Uint8Array;
  private readonly view: DataView;

  constructor(
    private readonly runtime: JvmRuntime,
    private readonly loaded: LoadedClass,
    private readonly code: MethodCode,
    private readonly locals: JavaValue[],
  ) {
    this.bytecode = code.bytecode;
    this.view = new DataView(code.bytecode.buffer, code.bytecode.byteOffset, code.bytecode.byteLength);
  }

  run(): JavaValue {
    const runtime: JvmRuntime = this.runtime;
    const limit = runtime.limits.maxInstructions;
    for (;;) {
      if (++runtime.instructions > limit) throw new JvmStop('instruction_limit', `${limit} bytecode instructions`);
      if ((runtime.instructions & WALL_CHECK_MASK) === 0) runtime.tick(0);
      const start = this.pc;
      try {
        const result = this.step();
        if (result !== CONTINUE) return result.value;
      } catch (thrown) {
        if (!(thrown instanceof JavaThrow)) throw thrown;
        const handler = this.handlerFor(start, thrown.exception);
        if (handler === null) throw thrown;
        this.stack.length = 0;
        this.stack.push(thrown.exception);
        this.pc = handler;
      }
    }
  }

  private handlerFor(pc: number, exception: JavaObject): number | null {
    for (const handler of this.code.handlers) {
      if (pc < handler.startPc || pc >= handler.endPc) continue;
      if (handler.catchType === null || this.runtime.isSubclass(exception.className, handler.catchType)) return handler.handlerPc;
    }
    return null;
  }

  private u1(offset: number): number {
    if (offset >= this.bytecode.length) throw new JvmStop('fault', `bytecode ends inside an instruction at ${offset}`);
    return this.bytecode[offset]!;
  }
  private s1(offset: number): number {
    return (this.u1(offset) << 24) >> 24;
  }
  private u2(offset: number): number {
    return (this.u1(offset) << 8) | this.u1(offset + 1);
  }
  private s2(offset: number): number {
    return (this.u2(offset) << 16) >> 16;
  }
  private s4(offset: number): number {
    if (offset + 4 > this.bytecode.length) throw new JvmStop('fault', `bytecode ends inside an instruction at ${offset}`);
    return this.view.getInt32(offset);
  }

  private pop(): JavaValue {
    if (this.stack.length === 0) throw new JvmStop('fault', `operand stack underflow in ${this.runtime.callerLabel()} at ${this.pc}`);
    return this.stack.pop();
  }
  private popInt(): number {
    return asInt(this.pop());
  }
  private popLong(): bigint {
    return asLong(this.pop());
  }
  private popDouble(): number {
    return asDouble(this.pop());
  }
  private push(value: JavaValue): void {
    if (this.stack.length > this.code.maxStack + 8) throw new JvmStop('fault', `operand stack overflow in ${this.runtime.callerLabel()}`);
    this.stack.push(value);
  }
  private popArray(): JavaArray {
    const value = this.pop();
    if (value === null || value === undefined) this.runtime.throwNew('java/lang/NullPointerException', 'array is null');
    if (typeof value !== 'object' || value instanceof JavaDouble || value.kind !== 'array') throw new JvmStop('fault', 'array instruction on a value that is no array');
    return value;
  }
  private index(array: JavaArray, index: number): number {
    if (index < 0 || index >= array.values.length) this.runtime.throwNew('java/lang/ArrayIndexOutOfBoundsException', `Index ${index} out of bounds for length ${array.values.length}`);
    return index;
  }
  private branch(condition: boolean, start: number): void {
    this.pc = condition ? start + this.s2(start + 1) : start + 3;
  }

  private step(): Result {
    const start = this.pc;
    const opcode = this.u1(start);
    const runtime: JvmRuntime = this.runtime;
    const file = this.loaded.file;
    if (opcode >= 0x02 && opcode <= 0x08) {
      this.push(opcode - 3);
      this.pc++;
      return CONTINUE;
    }
    if (opcode >= 0x1a && opcode <= 0x2d) {
      // xload_n: iload_0 … aload_3
      this.push(this.locals[(opcode - 0x1a) & 3]);
      this.pc++;
      return CONTINUE;
    }
    if (opcode >= 0x3b && opcode <= 0x4e) {
      this.locals[(opcode - 0x3b) & 3] = this.pop();
      this.pc++;
      return CONTINUE;
    }
    if (opcode >= 0x99 && opcode <= 0xa6) return this.compareBranch(opcode, start);
    if (opcode >= 0x60 && opcode <= 0x83) return this.arithmetic(opcode, start);
    if (opcode >= 0x85 && opcode <= 0x98) return this.conversion(opcode, start);
    switch (opcode) {
      case 0x00: // nop
        break;
      case 0x01:
        this.push(null);
        break;
      case 0x09:
      case 0x0a:
        this.push(BigInt(opcode - 0x09));
        break;
      case 0x0b:
      case 0x0c:
      case 0x0d:
        this.push(opcode - 0x0b);
        break;
      case 0x0e:
      case 0x0f:
        this.push(new JavaDouble(opcode - 0x0e));
        break;
      case 0x10:
        this.push(this.s1(start + 1));
        this.pc = start + 2;
        return CONTINUE;
      case 0x11:
        this.push(this.s2(start + 1));
        this.pc = start + 3;
        return CONTINUE;
      case 0x12:
        this.push(runtime.constantValue(file, this.u1(start + 1)));
        this.pc = start + 2;
        return CONTINUE;
      case 0x13:
      case 0x14:
        this.push(runtime.constantValue(file, this.u2(start + 1)));
        this.pc = start + 3;
        return CONTINUE;
      case 0x15:
      case 0x16:
      case 0x17:
      case 0x18:
      case 0x19:
        this.push(this.locals[this.u1(start + 1)]);
        this.pc = start + 2;
        return CONTINUE;
      case 0x2e:
      case 0x2f:
      case 0x30:
      case 0x31:
      case 0x32:
      case 0x33:
      case 0x34:
      case 0x35: {
        const index = this.popInt();
        const array = this.popArray();
        this.push(array.values[this.index(array, index)]);
        break;
      }
      case 0x36:
      case 0x37:
      case 0x38:
      case 0x39:
      case 0x3a:
        this.locals[this.u1(start + 1)] = this.pop();
        this.pc = start + 2;
        return CONTINUE;
      case 0x4f:
      case 0x50:
      case 0x51:
      case 0x52:
      case 0x53:
      case 0x54:
      case 0x55:
      case 0x56: {
        const value = this.pop();
        const index = this.popInt();
        const array = this.popArray();
        array.values[this.index(array, index)] = storeArrayValue(opcode, value);
        break;
      }
      case 0x57: // pop
        this.pop();
        break;
      case 0x58: // pop2
        if (!isCategory2(this.pop())) this.pop();
        break;
      case 0x59: {
        const value = this.pop();
        this.push(value);
        this.push(value);
        break;
      }
      case 0x5a: {
        const value1 = this.pop();
        const value2 = this.pop();
        this.stack.push(value1, value2, value1);
        break;
      }
      case 0x5b: {
        const value1 = this.pop();
        const value2 = this.pop();
        if (isCategory2(value2)) this.stack.push(value1, value2, value1);
        else {
          const value3 = this.pop();
          this.stack.push(value1, value3, value2, value1);
        }
        break;
      }
      case 0x5c: {
        const value1 = this.pop();
        if (isCategory2(value1)) this.stack.push(value1, value1);
        else {
          const value2 = this.pop();
          this.stack.push(value2, value1, value2, value1);
        }
        break;
      }
      case 0x5d: {
        const value1 = this.pop();
        if (isCategory2(value1)) {
          const value2 = this.pop();
          this.stack.push(value1, value2, value1);
        } else {
          const value2 = this.pop();
          const value3 = this.pop();
          this.stack.push(value2, value1, value3, value2, value1);
        }
        break;
      }
      case 0x5e: {
        // dup2_x2, category-1 form only in full; category-2 forms by the same rule on one-slot values
        const value1 = this.pop();
        const value2 = isCategory2(value1) ? null : this.pop();
        const value3 = this.pop();
        const value4 = isCategory2(value3) ? null : this.pop();
        const top = value2 === null ? [value1] : [value2, value1];
        const under = value4 === null ? [value3] : [value4, value3];
        this.stack.push(...top, ...under, ...top);
        break;
      }
      case 0x5f: {
        const value1 = this.pop();
        const value2 = this.pop();
        this.stack.push(value1, value2);
        break;
      }
      case 0x84: {
        const local = this.u1(start + 1);
        this.locals[local] = (asInt(this.locals[local]) + this.s1(start + 2)) | 0;
        this.pc = start + 3;
        return CONTINUE;
      }
      case 0xa7:
        this.pc = start + this.s2(start + 1);
        return CONTINUE;
      case 0xa8:
        this.push(start + 3);
        this.pc = start + this.s2(start + 1);
        return CONTINUE;
      case 0xa9:
        this.pc = asInt(this.locals[this.u1(start + 1)]);
        return CONTINUE;
      case 0xaa:
        return this.tableSwitch(start);
      case 0xab:
        return this.lookupSwitch(start);
      case 0xac:
      case 0xad:
      case 0xae:
      case 0xaf:
      case 0xb0:
        return { value: this.pop() };
      case 0xb1:
        return { value: undefined };
      case 0xb2:
      case 0xb3:
      case 0xb4:
      case 0xb5:
        this.fieldAccess(opcode, this.u2(start + 1));
        this.pc = start + 3;
        return CONTINUE;
      case 0xb6:
      case 0xb7:
      case 0xb8:
      case 0xb9:
        this.invoke(opcode, this.u2(start + 1));
        this.pc = start + (opcode === 0xb9 ? 5 : 3);
        return CONTINUE;
      case 0xba: {
        const site = file.constants[this.u2(start + 1)];
        const descriptor = site?.tag === 'invokeDynamic' ? file.nameAndType(site.nameAndTypeIndex).descriptor : '()V';
        const args = this.popArguments(argumentDescriptors(descriptor).length);
        const value = invokeDynamic(runtime, file, this.u2(start + 1), args);
        if (returnDescriptor(descriptor) !== 'V') this.push(value);
        this.pc = start + 5;
        return CONTINUE;
      }
      case 0xbb: {
        const className = file.className(this.u2(start + 1));
        if (!isSystemClass(className)) runtime.requireClass(className);
        this.push(runtime.newObject(className));
        this.pc = start + 3;
        return CONTINUE;
      }
      case 0xbc: {
        const component = ARRAY_TYPES[this.u1(start + 1)] ?? 'I';
        this.push(runtime.allocateArray(component, this.popInt()));
        this.pc = start + 2;
        return CONTINUE;
      }
      case 0xbd: {
        const name = file.className(this.u2(start + 1));
        this.push(runtime.allocateArray(name.startsWith('[') ? name : `L${name};`, this.popInt()));
        this.pc = start + 3;
        return CONTINUE;
      }
      case 0xbe:
        this.push(this.popArray().values.length);
        break;
      case 0xbf: {
        const exception = this.pop();
        if (exception === null || exception === undefined) runtime.throwNew('java/lang/NullPointerException', 'throw null');
        if (typeof exception !== 'object' || exception instanceof JavaDouble || exception.kind !== 'object') throw new JvmStop('fault', 'athrow of a value that is no object');
        throw new JavaThrow(exception);
      }
      case 0xc0:
      case 0xc1: {
        const target = file.className(this.u2(start + 1));
        const value = this.pop();
        const instance = value !== null && value !== undefined && runtime.isSubclass(classNameOf(value as JavaReference), target);
        if (opcode === 0xc1) this.push(instance ? 1 : 0);
        else if (value === null || value === undefined || instance) this.push(value);
        else runtime.throwNew('java/lang/ClassCastException', `class ${dotted(classNameOf(value as JavaReference))} cannot be cast to class ${dotted(target)}`);
        this.pc = start + 3;
        return CONTINUE;
      }
      case 0xc2:
      case 0xc3:
        if (this.pop() == null) runtime.throwNew('java/lang/NullPointerException', 'monitor on null');
        break;
      case 0xc4:
        return this.wide(start);
      case 0xc5: {
        const descriptor = file.className(this.u2(start + 1));
        const dimensions = this.u1(start + 3);
        const counts = this.popArguments(dimensions).map(asInt);
        this.push(this.multiArray(descriptor, counts));
        this.pc = start + 4;
        return CONTINUE;
      }
      case 0xc6:
      case 0xc7: {
        const value = this.pop();
        this.branch((value == null) === (opcode === 0xc6), start);
        return CONTINUE;
      }
      case 0xc8:
        this.pc = start + this.s4(start + 1);
        return CONTINUE;
      case 0xc9:
        this.push(start + 5);
        this.pc = start + this.s4(start + 1);
        return CONTINUE;
      default:
        throw new JvmStop('invalid_opcode', `opcode 0x${opcode.toString(16)} in ${runtime.callerLabel()} at ${start}`);
    }
    this.pc = start + 1;
    return CONTINUE;
  }

  private compareBranch(opcode: number, start: number): Result {
    if (opcode <= 0x9e) {
      const value = this.popInt();
      const outcomes = [value === 0, value !== 0, value < 0, value >= 0, value > 0, value <= 0];
      this.branch(outcomes[opcode - 0x99]!, start);
    } else if (opcode <= 0xa4) {
      const right = this.popInt();
      const left = this.popInt();
      const outcomes = [left === right, left !== right, left < right, left >= right, left > right, left <= right];
      this.branch(outcomes[opcode - 0x9f]!, start);
    } else {
      const right = this.pop();
      const left = this.pop();
      this.branch((left === right || (left == null && right == null)) === (opcode === 0xa5), start);
    }
    return CONTINUE;
  }

  private arithmetic(opcode: number, start: number): Result {
    // up to dneg four types per operation (int long float double); shifts and logic come in int/long pairs
    const type = opcode < 0x78 ? (opcode - 0x60) & 3 : (opcode - 0x78) & 1;
    const operation = opcode < 0x78 ? (opcode - 0x60) >> 2 : 6 + ((opcode - 0x78) >> 1); // add sub mul div rem neg shl shr ushr and or xor
    if (operation === 5) {
      const value = this.pop();
      this.push(type === 0 ? -asInt(value) | 0 : type === 1 ? wrapLong(-asLong(value)) : type === 2 ? -asDouble(value) : new JavaDouble(-asDouble(value)));
    } else if (type === 0) {
      const right = this.popInt();
      const left = this.popInt();
      this.push(intOperation(operation, left, right, this.runtime));
    } else if (type === 1) {
      // a long shift's count is an int
      const right = this.pop();
      const left = this.popLong();
      this.push(longOperation(operation, left, right, this.runtime));
    } else {
      const right = this.popDouble();
      const left = this.popDouble();
      const result = floatOperation(operation, left, right);
      this.push(type === 2 ? Math.fround(result) : new JavaDouble(result));
    }
    this.pc = start + 1;
    return CONTINUE;
  }

  private conversion(opcode: number, start: number): Result {
    const value = this.pop();
    switch (opcode) {
      case 0x85:
        this.push(BigInt(asInt(value)));
        break;
      case 0x86:
        this.push(Math.fround(asInt(value)));
        break;
      case 0x87:
        this.push(new JavaDouble(asInt(value)));
        break;
      case 0x88:
        this.push(Number(BigInt.asIntN(32, asLong(value))));
        break;
      case 0x89:
        this.push(Math.fround(Number(asLong(value))));
        break;
      case 0x8a:
        this.push(new JavaDouble(Number(asLong(value))));
        break;
      case 0x8b:
      case 0x8e:
        this.push(doubleToInt(asDouble(value)));
        break;
      case 0x8c:
      case 0x8f:
        this.push(doubleToLong(asDouble(value)));
        break;
      case 0x8d:
        this.push(new JavaDouble(asDouble(value)));
        break;
      case 0x90:
        this.push(Math.fround(asDouble(value)));
        break;
      case 0x91:
        this.push((asInt(value) << 24) >> 24);
        break;
      case 0x92:
        this.push(asInt(value) & 0xffff);
        break;
      case 0x93:
        this.push((asInt(value) << 16) >> 16);
        break;
      case 0x94: {
        const right = asLong(value);
        const left = this.popLong();
        this.push(left < right ? -1 : left > right ? 1 : 0);
        break;
      }
      default: {
        // fcmpl, fcmpg, dcmpl, dcmpg: NaN compares as -1 (…l) or 1 (…g)
        const right = asDouble(value);
        const left = this.popDouble();
        if (Number.isNaN(left) || Number.isNaN(right)) this.push(opcode === 0x95 || opcode === 0x97 ? -1 : 1);
        else this.push(left < right ? -1 : left > right ? 1 : 0);
      }
    }
    this.pc = start + 1;
    return CONTINUE;
  }

  private tableSwitch(start: number): Result {
    let offset = (start + 4) & ~3;
    const fallback = this.s4(offset);
    const low = this.s4(offset + 4);
    const high = this.s4(offset + 8);
    offset += 12;
    const key = this.popInt();
    this.pc = start + (key >= low && key <= high ? this.s4(offset + (key - low) * 4) : fallback);
    return CONTINUE;
  }

  private lookupSwitch(start: number): Result {
    const offset = (start + 4) & ~3;
    const fallback = this.s4(offset);
    const pairs = this.s4(offset + 4);
    const key = this.popInt();
    for (let pair = 0; pair < pairs; pair++) {
      if (this.s4(offset + 8 + pair * 8) === key) {
        this.pc = start + this.s4(offset + 12 + pair * 8);
        return CONTINUE;
      }
    }
    this.pc = start + fallback;
    return CONTINUE;
  }

  private wide(start: number): Result {
    const opcode = this.u1(start + 1);
    const local = this.u2(start + 2);
    if (opcode === 0x84) {
      this.locals[local] = (asInt(this.locals[local]) + this.s2(start + 4)) | 0;
      this.pc = start + 6;
      return CONTINUE;
    }
    if (opcode >= 0x15 && opcode <= 0x19) this.push(this.locals[local]);
    else if (opcode >= 0x36 && opcode <= 0x3a) this.locals[local] = this.pop();
    else if (opcode === 0xa9) {
      this.pc = asInt(this.locals[local]);
      return CONTINUE;
    } else throw new JvmStop('invalid_opcode', `wide 0x${opcode.toString(16)}`);
    this.pc = start + 4;
    return CONTINUE;
  }

  private multiArray(descriptor: string, counts: number[]): JavaArray {
    const component = descriptor.slice(1);
    const array = this.runtime.allocateArray(component, counts[0]!);
    if (counts.length > 1) for (let index = 0; index < array.values.length; index++) array.values[index] = this.multiArray(component, counts.slice(1));
    return array;
  }

  private popArguments(count: number): JavaValue[] {
    const args = new Array<JavaValue>(count);
    for (let index = count - 1; index >= 0; index--) args[index] = this.pop();
    return args;
  }

  private invoke(opcode: number, index: number): void {
    const runtime: JvmRuntime = this.runtime;
    const member = this.loaded.file.member(index);
    const count = argumentDescriptors(member.descriptor).length + (opcode === 0xb8 ? 0 : 1);
    const args = this.popArguments(count);
    let value: JavaValue;
    if (opcode === 0xb8) value = runtime.invokeStatic(member.className, member.name, member.descriptor, args);
    else if (opcode === 0xb7) value = runtime.invokeSpecial(member.className, member.name, member.descriptor, args);
    else value = runtime.invokeVirtual(member.name, member.descriptor, args);
    if (returnDescriptor(member.descriptor) !== 'V') this.push(value === undefined ? defaultValue(returnDescriptor(member.descriptor)) : value);
  }

  private fieldAccess(opcode: number, index: number): void {
    const runtime: JvmRuntime = this.runtime;
    const member = this.loaded.file.member(index);
    if (opcode === 0xb2 || opcode === 0xb3) {
      const statics = this.staticsOf(member.className, member.name);
      if (opcode === 0xb2) this.push(statics ? statics.get(member.name) : runtime.library.staticField(member.className, member.name)?.(runtime) ?? runtime.unsupported(member.className, member.name, `()${member.descriptor}`, 'static field'));
      else {
        const value = this.pop();
        if (statics) statics.set(member.name, value);
        else runtime.unsupported(member.className, member.name, `(${member.descriptor})V`, 'static field write');
      }
      return;
    }
    const value = opcode === 0xb5 ? this.pop() : undefined;
    const object = this.pop();
    if (object === null || object === undefined) runtime.throwNew('java/lang/NullPointerException', `field ${member.name} of null`);
    if (typeof object !== 'object' || object instanceof JavaDouble || object.kind !== 'object') throw new JvmStop('fault', `field ${member.name} of a value that is no object`);
    if (opcode === 0xb4) this.push(object.fields.has(member.name) ? object.fields.get(member.name) : defaultValue(member.descriptor));
    else object.fields.set(member.name, value);
  }

  /** the statics of the payload class (or superclass) declaring the field; null for a system class */
  private staticsOf(className: string, name: string): Map<string, JavaValue> | null {
    if (isSystemClass(className)) return null;
    for (let loaded: LoadedClass | null = this.runtime.requireClass(className); loaded; loaded = loaded.superClass) {
      if (loaded.statics.has(name)) return loaded.statics;
    }
    // a field of an interface the class implements, or one the class file lacks: kept on the named class
    return this.runtime.requireClass(className).statics;
  }
}

const CONTINUE = Symbol('continue');
type Result = typeof CONTINUE | { value: JavaValue };

function storeArrayValue(opcode: number, value: JavaValue): JavaValue {
  switch (opcode) {
    case 0x54:
      return (asInt(value) << 24) >> 24;
    case 0x55:
      return asInt(value) & 0xffff;
    case 0x56:
      return (asInt(value) << 16) >> 16;
    case 0x4f:
      return asInt(value);
    default:
      return value;
  }
}

function intOperation(operation: number, left: number, right: number, runtime: JvmRuntime): number {
  switch (operation) {
    case 0:
      return (left + right) | 0;
    case 1:
      return (left - right) | 0;
    case 2:
      return Math.imul(left, right);
    case 3:
      if (right === 0) runtime.throwNew('java/lang/ArithmeticException', '/ by zero');
      return (left / right) | 0;
    case 4:
      if (right === 0) runtime.throwNew('java/lang/ArithmeticException', '/ by zero');
      return left % right | 0;
    case 6:
      return left << (right & 31);
    case 7:
      return left >> (right & 31);
    case 8:
      return (left >>> (right & 31)) | 0;
    case 9:
      return left & right;
    case 10:
      return left | right;
    default:
      return left ^ right;
  }
}

function longOperation(operation: number, left: bigint, rightValue: JavaValue, runtime: JvmRuntime): bigint {
  if (operation >= 6 && operation <= 8) {
    const shift = BigInt(asInt(rightValue) & 63);
    if (operation === 6) return wrapLong(left << shift);
    if (operation === 7) return left >> shift;
    return wrapLong(BigInt.asUintN(64, left) >> shift);
  }
  const right = asLong(rightValue);
  switch (operation) {
    case 0:
      return wrapLong(left + right);
    case 1:
      return wrapLong(left - right);
    case 2:
      return wrapLong(left * right);
    case 3:
      if (right === 0n) runtime.throwNew('java/lang/ArithmeticException', '/ by zero');
      return wrapLong(left / right);
    case 4:
      if (right === 0n) runtime.throwNew('java/lang/ArithmeticException', '/ by zero');
      return left % right;
    case 9:
      return left & right;
    case 10:
      return left | right;
    default:
      return left ^ right;
  }
}

function floatOperation(operation: number, left: number, right: number): number {
  switch (operation) {
    case 0:
      return left + right;
    case 1:
      return left - right;
    case 2:
      return left * right;
    case 3:
      return left / right;
    default:
      return left % right;
  }
}
