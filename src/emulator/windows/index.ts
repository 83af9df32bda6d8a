/** The emulated Windows user-mode process (x86 and x64) that attacker code runs in. */
export { WindowsProcess, CODE_REGION_SIZE, type WindowsProcessOptions, type WindowsVersion, type WindowsModule, type ApplicationModule, type HookTarget, type HandleObject } from './windows-process.ts';
export { ApiCall, BLOCKED, type ApiHandler, type ApiResult } from './api-call.ts';
export { API_HANDLERS, defaultHandler } from './api-handlers.ts';
export { WINDOWS_DLLS, parseExports, type DllDefinition, type ExportSpec } from './dll-exports.ts';
export { buildPeImage, STUB_SIZE, type BuiltImage, type BuiltExport } from './pe-image.ts';
export { OFFSETS, type StructureOffsets } from './process-structures.ts';
export { ExceptionDispatcher, type GuestFault } from './exception-dispatcher.ts';
export { applicationModulesFor } from './application-images.ts';
