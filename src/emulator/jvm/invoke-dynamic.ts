/**
 * invokedynamic as javac emits it: string concatenation (StringConcatFactory, Java 9+) and lambdas
 * and method references (LambdaMetafactory), so `new Thread(() -> …)` and `"a" + b` work in payloads
 * compiled by a recent javac. Any other bootstrap method is an unsupported call.
 */
import type { ClassFile, MemberReference } from './class-file.ts';
import { argumentDescriptors, returnDescriptor } from './descriptors.ts';
import { javaString, type JavaValue } from './java-values.ts';
import type { JvmRuntime } from './jvm-runtime.ts';

const REF_INVOKE_VIRTUAL = 5;
const REF_INVOKE_STATIC = 6;
const REF_INVOKE_SPECIAL = 7;
const REF_NEW_INVOKE_SPECIAL = 8;

/** the state of an object a lambda expression or method reference made */
export class LambdaTarget {
  constructor(
    /** the functional interface's method (`run`, `apply`) */
    readonly methodName: string,
    readonly referenceKind: number,
    readonly implementation: MemberReference,
    readonly captured: JavaValue[],
  ) {}
}

export function invokeDynamic(runtime: JvmRuntime, file: ClassFile, index: number, args: JavaValue[]): JavaValue {
  const site = file.constants[index];
  if (site?.tag !== 'invokeDynamic') return runtime.unsupported(file.name, 'invokedynamic', '()V', 'no call site');
  const { name, descriptor } = file.nameAndType(site.nameAndTypeIndex);
  const bootstrap = file.bootstrapMethods[site.bootstrapIndex];
  const handle = bootstrap ? file.constants[bootstrap.methodHandleIndex] : undefined;
  if (!bootstrap || handle?.tag !== 'methodHandle') return runtime.unsupported(file.name, name, descriptor, 'invokedynamic without a bootstrap method');
  const factory = file.member(handle.referenceIndex);
  if (factory.className === 'java/lang/invoke/StringConcatFactory') {
    if (factory.name === 'makeConcat') return args.map((value, position) => javaString(value, argumentDescriptors(descriptor)[position])).join('');
    const recipe = staticArgument(runtime, file, bootstrap.argumentIndexes[0]);
    const constants = bootstrap.argumentIndexes.slice(1).map((argument) => staticArgument(runtime, file, argument));
    return concatenate(typeof recipe === 'string' ? recipe : '', args, argumentDescriptors(descriptor), constants);
  }
  if (factory.className === 'java/lang/invoke/LambdaMetafactory') {
    const implementation = file.constants[bootstrap.argumentIndexes[1] ?? 0];
    if (implementation?.tag !== 'methodHandle') return runtime.unsupported(factory.className, factory.name, descriptor, 'lambda without an implementation handle');
    const target = new LambdaTarget(name, implementation.referenceKind, file.member(implementation.referenceIndex), args);
    const functionalInterface = returnDescriptor(descriptor).replace(/^L|;$/g, '');
    return runtime.newObject(functionalInterface, target);
  }
  return runtime.unsupported(factory.className, factory.name, descriptor, 'bootstrap method');
}

/** calls what a lambda object stands for: its captured values, then the interface method's arguments */
export function callLambda(runtime: JvmRuntime, target: LambdaTarget, args: JavaValue[]): JavaValue {
  const all = [...target.captured, ...args];
  const { className, name, descriptor } = target.implementation;
  switch (target.referenceKind) {
    case REF_INVOKE_STATIC:
      return runtime.invokeStatic(className, name, descriptor, all);
    case REF_INVOKE_SPECIAL:
      return runtime.invokeSpecial(className, name, descriptor, all);
    case REF_NEW_INVOKE_SPECIAL: {
      const object = runtime.newObject(className);
      runtime.invokeSpecial(className, '<init>', descriptor, [object, ...all]);
      return object;
    }
    case REF_INVOKE_VIRTUAL:
    default:
      return runtime.invokeVirtual(name, descriptor, all);
  }
}

function staticArgument(runtime: JvmRuntime, file: ClassFile, index: number | undefined): JavaValue {
  return index === undefined ? null : runtime.constantValue(file, index);
}

/** `\u0001` takes the next argument, `\u0002` the next constant (StringConcatFactory's recipe) */
function concatenate(recipe: string, args: JavaValue[], types: string[], constants: JavaValue[]): string {
  let output = '';
  let argument = 0;
  let constant = 0;
  for (const character of recipe) {
    if (character === '\u0001') {
      output += javaString(args[argument], types[argument]);
      argument++;
    } else if (character === '\u0002') output += javaString(constants[constant++]);
    else output += character;
  }
  return output;
}
