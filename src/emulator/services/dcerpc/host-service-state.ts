/**
 * Per-host protocol state that outlives a connection (netlogon challenges and secure channels, DCOM
 * OXIDs), kept in `host.state.services` so a revert of the dummy clears it with everything else.
 */
import type { ServiceHost } from '../service.ts';

/** the state under `key`, created by `create` on first use */
export function hostServiceState<T>(host: ServiceHost, key: string, create: () => T): T {
  const existing = host.state.services.get(key);
  if (existing !== undefined) return existing as T;
  const fresh = create();
  host.state.services.set(key, fresh);
  return fresh;
}
