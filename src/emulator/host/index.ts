/** The emulated dummy's host: profile, state until revert, and the bridge from services to behaviour. */
export { EmulatedHost, emptyHostState, type EmulatedHostOptions, type HostInterpreters } from './emulated-host.ts';
export { shellService } from './shell-service.ts';
export { defaultInterpreters } from './default-interpreters.ts';
