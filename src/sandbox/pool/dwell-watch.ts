/**
 * The victim a lease's `work` is handed: the pooled victim itself, except that `dwell()` tells the
 * pool when a dwell window starts and ends, so the farm view can show a dummy being watched for
 * late behaviour apart from one being replayed into. The replay code (the detonator) calls
 * `dwell()` itself after delivering a session; the pool's own post-lease dwell goes through the
 * same view. Everything else reaches the victim unchanged (methods bound to it).
 */
import type { CallOptions, Victim } from '../victim-driver.ts';

export interface DwellHooks {
  begin(): void;
  end(): void;
}

export function watchDwell(victim: Victim, hooks: DwellHooks): Victim {
  const dwell = async (virtualMs: number, options?: CallOptions): Promise<void> => {
    hooks.begin();
    try {
      await victim.dwell(virtualMs, options);
    } finally {
      hooks.end();
    }
  };
  return new Proxy(victim, {
    get(target, property) {
      if (property === 'dwell') return dwell;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
