/**
 * One signal that aborts when either of two does: a lease's own signal and the pool's lifecycle
 * (destroy() aborts every lease at once). Hand-rolled rather than AbortSignal.any() because that
 * runs on every lease, and the listeners must go away when the lease ends instead of piling up on
 * the pool's long-lived signal.
 */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** detaches from both parents; the lease is over */
  dispose(): void;
}

const NOTHING_TO_DISPOSE = (): void => {};

export function linkSignals(first: AbortSignal | undefined, second: AbortSignal): LinkedSignal {
  if (first === undefined || first === second) return { signal: second, dispose: NOTHING_TO_DISPOSE };
  const controller = new AbortController();
  if (first.aborted || second.aborted) {
    controller.abort(first.aborted ? first.reason : second.reason);
    return { signal: controller.signal, dispose: NOTHING_TO_DISPOSE };
  }
  const onFirst = (): void => controller.abort(first.reason);
  const onSecond = (): void => controller.abort(second.reason);
  first.addEventListener('abort', onFirst, { once: true });
  second.addEventListener('abort', onSecond, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      first.removeEventListener('abort', onFirst);
      second.removeEventListener('abort', onSecond);
    },
  };
}
