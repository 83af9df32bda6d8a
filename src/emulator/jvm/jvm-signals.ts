/**
 * The two ways control leaves Java code other than a return: a Java exception (catchable by the
 * payload's own handlers) and a stop of the whole run (a limit, System.exit), which no handler sees.
 * Neither is an Error: they are control flow, thrown often (a payload polling exitValue() throws
 * every round), so they carry no stack capture.
 */
import type { StopReason } from '../behaviour/guest.ts';
import type { JavaObject } from './java-values.ts';

export class JavaThrow {
  constructor(readonly exception: JavaObject) {}
}

export class JvmStop {
  constructor(
    readonly reason: StopReason,
    readonly detail: string,
  ) {}
}

/** what the library keeps for a Throwable */
export interface ThrowableState {
  message: string | null;
  cause: JavaObject | null;
}
