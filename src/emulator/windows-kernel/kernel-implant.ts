/**
 * What a kernel payload left behind, as the dummy keeps it until revert: one name per hooked slot,
 * patched range or queued routine. The emulated services ask by name whether their own code was
 * hooked (srv.sys's Trans2 SESSION_SETUP slot is DOUBLEPULSAR's), so the name is built in one place.
 */
import type { BehaviourEvent } from '../behaviour/index.ts';
import type { ImplantMechanism } from './windows-kernel.ts';

export interface KernelImplant {
  /** what was changed: `srv.sys!SrvTransaction2DispatchTable[TRANS2_SESSION_SETUP]`, `srv.sys+0x1a40`, `IA32_LSTAR` … */
  name: string;
  mechanism: ImplantMechanism;
  /** the event's summary, for people */
  detail: string;
}

/** The name of a hooked slot of a driver's dispatch table. */
export function dispatchSlotName(module: string, table: string, slot: string): string {
  return `${module}!${table}[${slot}]`;
}

/** The Trans2 slot DOUBLEPULSAR hooks: TRANS2_SESSION_SETUP, which a clean srv.sys does not implement. */
export const TRANS2_SESSION_SETUP_SLOT = dispatchSlotName('srv.sys', 'SrvTransaction2DispatchTable', 'TRANS2_SESSION_SETUP');

const MECHANISMS: readonly ImplantMechanism[] = ['dispatch_hook', 'pointer_hook', 'code_patch', 'syscall_hook', 'user_apc', 'system_thread', 'callback'];

function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '?';
}

/** The implant a `kernel.implant` trace event records; null for any other event. */
export function kernelImplantOf(event: BehaviourEvent): KernelImplant | null {
  if (event.api !== 'kernel.implant') return null;
  const args = event.args;
  const mechanism = MECHANISMS.find((known) => known === args.mechanism) ?? 'dispatch_hook';
  const detail = event.summary;
  switch (mechanism) {
    case 'dispatch_hook':
      return { name: dispatchSlotName(text(args.module), text(args.table), text(args.subcommand ?? args.slot)), mechanism, detail };
    case 'pointer_hook':
    case 'code_patch':
      return { name: `${text(args.module)}+${text(args.offset)}`, mechanism, detail };
    case 'syscall_hook':
      return { name: text(args.msr), mechanism, detail };
    case 'user_apc':
      return { name: `user-mode APC into ${text(args.process)}`, mechanism, detail };
    case 'system_thread':
      return { name: `system thread at ${text(args.startRoutine)}`, mechanism, detail };
    case 'callback':
      return { name: `${text(args.register)} callback`, mechanism, detail };
  }
}
