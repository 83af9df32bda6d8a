/**
 * java.lang.Thread on one emulated CPU: start() queues the thread and it runs when the code that
 * started it returns (join() runs it at once); sleep() moves the dummy's virtual clock.
 */
import { argumentDescriptors } from '../descriptors.ts';
import { asLong, isObject, type JavaObject } from '../java-values.ts';
import { booleanValue, optionalString, receiverObject } from './native-helpers.ts';
import type { NativeCall, NativeLibrary } from './native-library.ts';

export class ThreadState {
  started = false;
  constructor(
    readonly target: JavaObject | null,
    public name: string,
  ) {}
}

let threadNumber = 0;

function state(call: NativeCall): ThreadState {
  const object = receiverObject(call);
  if (!(object.native instanceof ThreadState)) object.native = new ThreadState(null, `Thread-${threadNumber++}`);
  return object.native as ThreadState;
}

export function defineJavaThread(library: NativeLibrary): void {
  library.define('java/lang/Runnable', null, []);
  library.define('java/lang/Thread', 'java/lang/Object', ['java/lang/Runnable'], {
    '<init>': (call) => {
      const types = argumentDescriptors(call.descriptor);
      const runnable = call.args.find((value, index) => isObject(value) && types[index] === 'Ljava/lang/Runnable;');
      const name = call.args.find((value, index) => types[index] === 'Ljava/lang/String;');
      receiverObject(call).native = new ThreadState(isObject(runnable) ? runnable : null, optionalString(name ?? null) ?? `Thread-${threadNumber++}`);
    },
    start: (call) => {
      const thread = state(call);
      if (thread.started) call.jvm.throwNew('java/lang/IllegalThreadStateException', null);
      thread.started = true;
      call.jvm.startThread(receiverObject(call));
    },
    run: (call) => {
      const target = state(call).target;
      if (target) call.jvm.callVirtual(target, 'run', '()V');
    },
    join: (call) => {
      const thread = call.jvm.takeThread(receiverObject(call));
      if (thread) call.jvm.runThread(thread);
    },
    sleep: (call) => call.jvm.sleep(Number(asLong(call.args[0]))),
    yield: () => undefined,
    onSpinWait: () => undefined,
    currentThread: (call) => call.jvm.newObject('java/lang/Thread', new ThreadState(null, 'main')),
    getName: (call) => state(call).name,
    setName: (call) => {
      state(call).name = optionalString(call.args[0]) ?? 'null';
    },
    setDaemon: () => undefined,
    isDaemon: () => 0,
    setPriority: () => undefined,
    interrupt: () => undefined,
    isInterrupted: () => 0,
    interrupted: () => 0,
    isAlive: (call) => booleanValue(state(call).started),
    getId: () => 1n,
    getContextClassLoader: (call) => call.jvm.newObject('java/lang/ClassLoader'),
    setContextClassLoader: () => undefined,
    setUncaughtExceptionHandler: () => undefined,
  });
  const units: Record<string, number> = { MILLISECONDS: 1, SECONDS: 1_000, MINUTES: 60_000, HOURS: 3_600_000 };
  library.define(
    'java/util/concurrent/TimeUnit',
    'java/lang/Object',
    [],
    { sleep: (call) => call.jvm.sleep(Number(asLong(call.args[0])) * (typeof receiverObject(call).native === 'number' ? (receiverObject(call).native as number) : 1)) },
    Object.fromEntries(Object.entries(units).map(([name, milliseconds]) => [name, (jvm) => jvm.newObject('java/util/concurrent/TimeUnit', milliseconds)])),
  );
}
