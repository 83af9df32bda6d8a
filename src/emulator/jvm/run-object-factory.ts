/**
 * What JNDI's reference loading runs of a remote factory class (javax.naming.spi.NamingManager on
 * a JDK that still trusts URL codebases): the class is defined and initialised (`<clinit>`), an
 * instance made with its public no-argument constructor (`<init>`), and, when it is an
 * ObjectFactory, its getObjectInstance called. Threads it started run after that. The run is
 * bounded (JvmLimits); whatever stops it, the trace says why. Never throws.
 */
import type { BehaviourTrace } from '../behaviour/trace.ts';
import { ACC_PUBLIC, ClassFormatProblem } from './class-file.ts';
import type { JvmContext } from './jvm-context.ts';
import { JavaThrow, JvmStop, type ThrowableState } from './jvm-signals.ts';
import { dotted, JvmRuntime } from './jvm-runtime.ts';
import { defaultLibrary } from './library/default-library.ts';

export interface ObjectFactoryRun {
  /** the class the bytes defined (`Exploit`); null when they were no usable class file */
  className: string | null;
  trace: BehaviourTrace;
  /** calls nobody models, each answered with a default value */
  unsupportedCalls: number;
}

const GET_OBJECT_INSTANCE = '(Ljava/lang/Object;Ljavax/naming/Name;Ljavax/naming/Context;Ljava/util/Hashtable;)Ljava/lang/Object;';

export function runObjectFactory(bytes: Uint8Array, factoryName: string, context: JvmContext): ObjectFactoryRun {
  const runtime = new JvmRuntime(context, defaultLibrary());
  let className: string | null = null;
  let end: { reason: BehaviourTrace['endReason']; detail: string } = { reason: 'exit', detail: 'reference loading returned' };
  try {
    const loaded = runtime.define(bytes);
    if (loaded) {
      className = dotted(loaded.name);
      if (className !== factoryName) {
        end = { reason: 'unhandled_exception', detail: `NoClassDefFoundError: ${factoryName} (wrong name: ${className})` };
      } else {
        runtime.initialize(loaded);
        // Class.newInstance(): the class's own public no-argument constructor (constructors are not inherited)
        const constructor = loaded.file.method('<init>', '()V');
        const factory = constructor && constructor.accessFlags & ACC_PUBLIC ? runtime.newObject(loaded.name) : null;
        if (factory && constructor) runtime.execute(loaded, constructor, [factory]);
        if (factory && runtime.isSubclass(loaded.name, 'javax/naming/spi/ObjectFactory')) {
          const reference = runtime.newObject('javax/naming/Reference');
          const name = runtime.newObject('javax/naming/CompositeName');
          const ldapContext = runtime.newObject('com/sun/jndi/ldap/LdapCtx');
          const environment = runtime.newObject('java/util/Hashtable', new Map());
          runtime.invokeVirtual('getObjectInstance', GET_OBJECT_INSTANCE, [factory, reference, name, ldapContext, environment]);
        }
        if (!factory) end = { reason: 'unhandled_exception', detail: `InstantiationException: ${className} has no public no-argument constructor` };
      }
    } else end = { reason: 'fault', detail: 'the codebase served no usable class file' };
    drainThreads(runtime);
  } catch (thrown) {
    end = stopOf(thrown, runtime);
    // what the main thread started still runs once it is gone (unless the JVM itself stopped)
    if (thrown instanceof JavaThrow) end = safely(() => drainThreads(runtime), runtime) ?? end;
  }
  return {
    className,
    unsupportedCalls: runtime.unsupportedCalls,
    trace: {
      os: context.os,
      bits: 64,
      entryOffset: 0,
      events: runtime.trace.events,
      instructionCount: runtime.instructions,
      endReason: end.reason,
      endDetail: end.detail,
      virtualTimeMs: runtime.virtualMs,
      droppedEvents: runtime.trace.dropped,
    },
  };
}

function drainThreads(runtime: JvmRuntime): void {
  for (let thread = runtime.takeThread(); thread; thread = runtime.takeThread()) runtime.runThread(thread);
}

function safely(run: () => void, runtime: JvmRuntime): { reason: BehaviourTrace['endReason']; detail: string } | null {
  try {
    run();
    return null;
  } catch (thrown) {
    return stopOf(thrown, runtime);
  }
}

function stopOf(thrown: unknown, runtime: JvmRuntime): { reason: BehaviourTrace['endReason']; detail: string } {
  if (thrown instanceof JvmStop) return { reason: thrown.reason, detail: thrown.detail };
  if (thrown instanceof JavaThrow) {
    const state = thrown.exception.native as ThrowableState | null;
    const message = state && typeof state === 'object' && 'message' in state ? state.message : null;
    return { reason: 'unhandled_exception', detail: `${dotted(thrown.exception.className)}${message ? `: ${message}` : ''} in ${runtime.callerLabel()}` };
  }
  if (thrown instanceof ClassFormatProblem) {
    runtime.context.anomaly?.('jvm.class_format_error');
    return { reason: 'fault', detail: `malformed class: ${thrown.message}` };
  }
  runtime.context.anomaly?.('jvm.internal_error');
  return { reason: 'internal_error', detail: thrown instanceof Error ? thrown.message : String(thrown) };
}
