/**
 * Bounds of one class run, always on, like the x86 emulator's: a payload that loops, recurses,
 * allocates or waits without end is stopped and the trace says which bound stopped it.
 */
export interface JvmLimits {
  /** bytecode instructions over the whole run (all threads, all classes) */
  maxInstructions: number;
  /** nested Java calls; deeper is a StackOverflowError the payload may catch */
  maxCallDepth: number;
  /** objects and arrays allocated */
  maxHeapObjects: number;
  /** array elements allocated in all */
  maxArrayElements: number;
  /** real milliseconds the run may take */
  maxWallMs: number;
  /** virtual milliseconds Thread.sleep may pass (a beacon that sleeps an hour is seen at once) */
  maxVirtualMs: number;
  /**
   * sleeps in a row with no outward call between them: a loop polling a stream that will never
   * have data again (a reverse shell whose operator has gone) ends here instead of at maxVirtualMs
   */
  maxIdleSleeps: number;
  /** classes fetched from the codebase besides the first */
  maxLoadedClasses: number;
  /** threads started */
  maxThreads: number;
  /** calls recorded in the trace; later ones are counted as dropped */
  maxTraceEvents: number;
}

export const DEFAULT_JVM_LIMITS: JvmLimits = {
  maxInstructions: 2_000_000,
  maxCallDepth: 96,
  maxHeapObjects: 50_000,
  maxArrayElements: 4_000_000,
  maxWallMs: 5_000,
  maxVirtualMs: 600_000, // 10 min
  maxIdleSleeps: 200,
  maxLoadedClasses: 16,
  maxThreads: 16,
  maxTraceEvents: 512,
};
