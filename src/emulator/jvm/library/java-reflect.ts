/**
 * Reflection as payloads use it to hide what they call: Class.forName("java.lang.Runtime"),
 * getMethod("exec", String.class), Method.invoke(target, args), Constructor.newInstance. Calls made
 * this way reach the same natives (and the same evidence) as direct ones; boxed arguments are
 * unboxed for primitive parameters and primitive results boxed, as java.lang.reflect does.
 */
import { argumentDescriptors, descriptorOfClassName, returnDescriptor } from '../descriptors.ts';
import { ACC_STATIC } from '../class-file.ts';
import { classNameOf, isArray, isObject, JavaDouble, type JavaMethodObject, type JavaValue } from '../java-values.ts';
import { JavaThrow } from '../jvm-signals.ts';
import { dotted, findMethodByName, type JvmRuntime, type LoadedClass } from '../jvm-runtime.ts';
import { BoxedValue, booleanValue, stringArgument } from './native-helpers.ts';
import { isSystemClass, type NativeCall, type NativeLibrary } from './native-library.ts';

const BOX_CLASSES: Record<string, string> = { I: 'java/lang/Integer', J: 'java/lang/Long', Z: 'java/lang/Boolean', B: 'java/lang/Byte', C: 'java/lang/Character', S: 'java/lang/Short', F: 'java/lang/Float', D: 'java/lang/Double' };

function classArgument(call: NativeCall): string {
  const receiver = call.receiver;
  if (typeof receiver === 'object' && receiver !== null && !(receiver instanceof JavaDouble) && receiver.kind === 'class') return receiver.name;
  return call.jvm.throwNew('java/lang/NullPointerException', 'class is null');
}

/** the descriptors of a Class[] argument; null when none was given (getMethod by name alone) */
function parameterTypes(value: JavaValue): string[] | null {
  if (!isArray(value)) return null;
  return value.values.map((element) => (typeof element === 'object' && element !== null && !(element instanceof JavaDouble) && element.kind === 'class' ? (/^[BCDFIJSZ]$/.test(element.name) ? element.name : descriptorOfClassName(dotted(element.name))) : 'Ljava/lang/Object;'));
}

function forName(call: NativeCall): JavaValue {
  const jvm: JvmRuntime = call.jvm;
  const name = stringArgument(jvm, call.args[0]);
  const internal = name.replace(/\./g, '/');
  jvm.record('library', 'java.lang.Class.forName', `${jvm.callerLabel()} looks up class ${name}`, { class: name });
  if (internal.startsWith('[') || isSystemClass(internal)) return jvm.classObject(internal);
  const loaded = jvm.userClass(internal);
  if (!loaded) jvm.throwNew('java/lang/ClassNotFoundException', name);
  if (call.args.length === 1 || call.args[1] === 1) jvm.initialize(loaded);
  return jvm.classObject(internal);
}

function box(jvm: JvmRuntime, value: JavaValue, descriptor: string): JavaValue {
  const boxClass = BOX_CLASSES[descriptor];
  return boxClass ? jvm.newObject(boxClass, new BoxedValue(value, descriptor)) : (value ?? null);
}

function unbox(value: JavaValue, descriptor: string): JavaValue {
  if (!/^[BCDFIJSZ]$/.test(descriptor)) return value;
  return isObject(value) && value.native instanceof BoxedValue ? value.native.value : value;
}

/** a descriptor fitting the arguments of a call by name alone (java.lang.reflect found the method) */
function descriptorFor(args: JavaValue[]): string {
  const types = args.map((value) => {
    if (typeof value === 'string') return 'Ljava/lang/String;';
    if (isArray(value)) return `[${value.component}`;
    if (isObject(value) && value.native instanceof BoxedValue) return value.native.descriptor;
    return typeof value === 'object' && value !== null && !(value instanceof JavaDouble) ? `L${classNameOf(value)};` : 'Ljava/lang/Object;';
  });
  return `(${types.join('')})Ljava/lang/Object;`;
}

function invoke(call: NativeCall, method: JavaMethodObject, target: JavaValue, rawArgs: JavaValue[]): JavaValue {
  const jvm: JvmRuntime = call.jvm;
  jvm.record('library', 'java.lang.reflect.Method.invoke', `${jvm.callerLabel()} calls ${dotted(method.className)}.${method.name} by reflection`, { class: dotted(method.className), method: method.name });
  let descriptor = method.parameterTypes ? `(${method.parameterTypes.join('')})Ljava/lang/Object;` : descriptorFor(rawArgs);
  let isStatic = target === null || target === undefined;
  if (!isSystemClass(method.className)) {
    const loaded = jvm.requireClass(method.className);
    const found = method.parameterTypes ? findMethodByPrefix(loaded, method.name, descriptor) : findMethodByName(loaded, method.name, rawArgs.length);
    if (!found) jvm.throwNew('java/lang/NoSuchMethodException', `${dotted(method.className)}.${method.name}`);
    descriptor = found.method.descriptor;
    isStatic = (found.method.accessFlags & ACC_STATIC) !== 0;
  }
  const types = argumentDescriptors(descriptor);
  const args = rawArgs.map((value, index) => unbox(value, types[index] ?? ''));
  try {
    if (method.name === '<init>') {
      const object = jvm.newObject(method.className);
      jvm.invokeSpecial(method.className, '<init>', `(${types.join('')})V`, [object, ...args]);
      return object;
    }
    const value = isStatic ? jvm.invokeStatic(method.className, method.name, descriptor, args) : jvm.invokeVirtual(method.name, descriptor, [target, ...args]);
    const returned = returnDescriptor(descriptor);
    if (typeof value === 'number') return box(jvm, value, returned === 'Ljava/lang/Object;' ? 'I' : returned);
    if (typeof value === 'bigint') return box(jvm, value, 'J');
    if (value instanceof JavaDouble) return box(jvm, value, 'D');
    return value ?? null;
  } catch (thrown) {
    if (!(thrown instanceof JavaThrow)) throw thrown;
    throw new JavaThrow(jvm.newThrowable('java/lang/reflect/InvocationTargetException', null, thrown.exception));
  }
}

function findMethodByPrefix(loaded: LoadedClass, name: string, descriptor: string) {
  const prefix = descriptor.slice(0, descriptor.indexOf(')') + 1);
  for (let current: LoadedClass | null = loaded; current; current = current.superClass) {
    const method = current.file.methods.find((candidate) => candidate.name === name && candidate.descriptor.startsWith(prefix));
    if (method) return { owner: current, method };
  }
  return null;
}

function methodOf(call: NativeCall): JavaMethodObject {
  const receiver = call.receiver;
  if (typeof receiver === 'object' && receiver !== null && !(receiver instanceof JavaDouble) && receiver.kind === 'method') return receiver;
  return call.jvm.throwNew('java/lang/NullPointerException', 'method is null');
}

export function defineJavaReflect(library: NativeLibrary): void {
  library.define('java/lang/Class', 'java/lang/Object', [], {
    forName,
    getName: (call) => dotted(classArgument(call)),
    getSimpleName: (call) => dotted(classArgument(call)).split('.').pop() ?? '',
    getMethod: (call) => call.jvm.methodObject(classArgument(call), stringArgument(call.jvm, call.args[0]), parameterTypes(call.args[1] ?? null)),
    getDeclaredMethod: (call) => call.jvm.methodObject(classArgument(call), stringArgument(call.jvm, call.args[0]), parameterTypes(call.args[1] ?? null)),
    getConstructor: (call) => call.jvm.methodObject(classArgument(call), '<init>', parameterTypes(call.args[0] ?? null) ?? []),
    getDeclaredConstructor: (call) => call.jvm.methodObject(classArgument(call), '<init>', parameterTypes(call.args[0] ?? null) ?? []),
    getConstructors: (call) => call.jvm.newArray('Ljava/lang/reflect/Constructor;', [call.jvm.methodObject(classArgument(call), '<init>', null)]),
    getDeclaredConstructors: (call) => call.jvm.newArray('Ljava/lang/reflect/Constructor;', [call.jvm.methodObject(classArgument(call), '<init>', null)]),
    newInstance: (call) => invoke(call, call.jvm.methodObject(classArgument(call), '<init>', []), null, []),
    isInstance: (call) => booleanValue(call.args[0] !== null && call.args[0] !== undefined && typeof call.args[0] !== 'number' && typeof call.args[0] !== 'bigint' && !(call.args[0] instanceof JavaDouble) && call.jvm.isSubclass(classNameOf(call.args[0]), classArgument(call))),
    cast: (call) => call.args[0] ?? null,
    getClassLoader: (call) => call.jvm.newObject('java/lang/ClassLoader'),
    desiredAssertionStatus: () => 0,
    isArray: (call) => booleanValue(classArgument(call).startsWith('[')),
    toString: (call: NativeCall) => `class ${dotted(classArgument(call))}`,
  });
  library.define('java/lang/ClassLoader', 'java/lang/Object', [], {
    loadClass: (call) => forName({ ...call, args: [call.args[0] ?? null, 0] }),
    getSystemClassLoader: (call) => call.jvm.newObject('java/lang/ClassLoader'),
  });
  library.define('java/lang/reflect/AccessibleObject', 'java/lang/Object', [], { setAccessible: () => undefined, isAccessible: () => 1 });
  library.define('java/lang/reflect/Method', 'java/lang/reflect/AccessibleObject', [], {
    invoke: (call) => invoke(call, methodOf(call), call.args[0] ?? null, isArray(call.args[1]) ? call.args[1].values : []),
    getName: (call) => methodOf(call).name,
  });
  library.define('java/lang/reflect/Constructor', 'java/lang/reflect/AccessibleObject', [], {
    newInstance: (call) => invoke(call, methodOf(call), null, isArray(call.args[0]) ? call.args[0].values : []),
    getName: (call) => dotted(methodOf(call).className),
    getParameterCount: (call) => methodOf(call).parameterTypes?.length ?? 0,
  });
}
