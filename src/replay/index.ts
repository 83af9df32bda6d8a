/** Replay: captured sessions as dialogs, played against dummies with the fields they assign adapted. */
export { dialogFromSession, clientBytes, type Dialog, type DialogStep, type DialogDirection } from './dialog.ts';
export { playDialog, defaultAdapters, type PlayOptions, type PlayResult, type PlayedExchange } from './dialog-player.ts';
export type { FieldAdapter } from './adapters/field-adapter.ts';
export { SmbIdAdapter } from './adapters/smb-id-adapter.ts';
export { HttpCookieAdapter } from './adapters/http-cookie-adapter.ts';
export { findCulprits, type GroupTestResult } from './group-testing.ts';
export { CompanionIndex, companionSessions, MAX_COMPANIONS } from './companion-sessions.ts';
