/**
 * What each hooked export does in the emulated process. Handlers decode their arguments, record a
 * behaviour event when the call matters, and return what the real function would. Anything not
 * listed goes to `defaultHandler`: the call is recorded and answered with a harmless value.
 */
import { readPointer, writePointer, Perm } from '../behaviour/guest.ts';
import { formatEndpoint, parseIpv4, previewBytes, readSocketAddress, writeSocketAddress } from '../behaviour/sockaddr.ts';
import type { SocketKind } from '../behaviour/network-endpoint.ts';
import { WINDOWS_DLLS } from './dll-exports.ts';
import { BLOCKED, type ApiCall, type ApiHandler, type ApiResult } from './api-call.ts';

const SOCKET_ERROR = -1;
const INVALID_SOCKET = -1;
const WSAECONNREFUSED = 10061;
const WSAENOTSOCK = 10038;
const WSAEFAULT = 10014;
const CURRENT_PROCESS = -1;
const ERROR_PROC_NOT_FOUND = 127;
/** STAT_WORKSTATION_0: a start time and 17 LARGE_INTEGER counters, then 23 DWORD counters (8-aligned) */
const STAT_WORKSTATION_0_SIZE = 0xf0;
const ERROR_MOD_NOT_FOUND = 126;
const ERROR_INVALID_PARAMETER = 87;
const ERROR_INSUFFICIENT_BUFFER = 122;
const HEAP_ZERO_MEMORY = 0x8;
const HEAP_REALLOC_IN_PLACE_ONLY = 0x10;
/** QueryPerformanceFrequency: 10 MHz, the 100 ns unit Windows 10 reports */
const PERFORMANCE_FREQUENCY = 10_000_000;

const handlers: Record<string, ApiHandler> = {};

function define(names: string, handler: ApiHandler): void {
  for (const name of names.split(/\s+/)) if (name !== '') handlers[name] = handler;
}

// ---- libraries and resolution ------------------------------------------------------------------

define('LoadLibraryA LoadLibraryW LoadLibraryExA LoadLibraryExW', (call) => {
  const name = call.text(0, 260);
  const module = call.process.loadLibrary(name);
  call.record('library', `load ${name}`, { name });
  return module.base;
});

define('LdrLoadDll', (call) => {
  const name = readUnicodeString(call, call.arg(2));
  const module = call.process.loadLibrary(name);
  if (call.arg(3) !== 0) writePointer(call.memory, call.bits, call.arg(3), module.base);
  call.record('library', `load ${name}`, { name });
  return 0;
});

define('GetProcAddress', (call) => {
  const handle = call.arg(0);
  const nameOrOrdinal = call.arg(1);
  const module = call.process.moduleAt(handle) ?? call.process.findModule('kernel32.dll')!;
  let address: number | undefined;
  let wanted: string;
  if (nameOrOrdinal < 0x10000) {
    wanted = `#${nameOrOrdinal}`;
    address = module.exportsByOrdinal.get(nameOrOrdinal);
  } else {
    wanted = call.ansi(1, 256);
    address = module.exportsByName.get(wanted);
  }
  // a DLL whose export table we model answers like the real one: NULL and ERROR_PROC_NOT_FOUND for
  // a name it does not export (code probes for newer APIs and falls back). A DLL we know nothing of
  // gets a hooked stub, so the call is at least seen.
  if (address === undefined && !isModelledDll(module.name)) address = call.process.dynamicExport(module, wanted);
  if (address === undefined) {
    call.process.lastError = ERROR_PROC_NOT_FOUND;
    call.record('resolve', `resolve ${module.name}!${wanted} (not exported)`, { module: module.name, name: wanted, found: false }, 0);
    return 0;
  }
  call.record('resolve', `resolve ${module.name}!${wanted}`, { module: module.name, name: wanted }, address);
  return address;
});

define('GetModuleHandleA GetModuleHandleW', (call) => {
  if (call.arg(0) === 0) return call.process.modules[0]!.base;
  const name = call.text(0, 260);
  const module = call.process.findModule(name);
  call.record('library', `module handle ${name}`, { name }, module?.base ?? 0);
  return module?.base ?? 0;
});

define('FreeLibrary', () => 1);

// ---- memory ------------------------------------------------------------------------------------

define('VirtualAlloc', (call) => {
  const [wanted, size, type, protect] = [call.arg(0), call.u32(1), call.u32(2), call.u32(3)];
  const address = call.process.regions.allocate(size, windowsProtection(protect), wanted, 'VirtualAlloc');
  call.record('memory', `alloc ${size} bytes ${protectionName(protect)} at 0x${address.toString(16)}`, { size, type, protect: protectionName(protect) }, address);
  return address;
});

define('VirtualAllocEx', (call) => {
  const [process, size, protect] = [call.arg(0), call.u32(2), call.u32(4)];
  const address = call.process.regions.allocate(size, windowsProtection(protect), call.arg(1), 'VirtualAllocEx');
  call.record('memory', `alloc ${size} bytes in process 0x${process.toString(16)}`, { size, process }, address);
  return address;
});

define('VirtualProtect', (call) => {
  const [address, size, protect, oldPointer] = [call.arg(0), call.u32(1), call.u32(2), call.arg(3)];
  if (!call.memory.isMapped(address, Math.max(size, 1))) return 0;
  call.memory.protect(address, size, windowsProtection(protect));
  if (oldPointer !== 0 && call.memory.isMapped(oldPointer, 4)) call.memory.writeU32(oldPointer, 0x40);
  call.record('memory', `protect 0x${address.toString(16)} +${size} ${protectionName(protect)}`, { address, size, protect: protectionName(protect) });
  return 1;
});

define('VirtualFree VirtualFreeEx', (call) => {
  call.process.regions.release(call.arg(call.target.name === 'VirtualFreeEx' ? 1 : 0));
  return 1;
});

define('HeapAlloc RtlAllocateHeap', (call) => heapAllocate(call, call.u32(2), (call.u32(1) & HEAP_ZERO_MEMORY) !== 0));
define('GlobalAlloc LocalAlloc', (call) => heapAllocate(call, call.u32(1), (call.u32(0) & 0x40) !== 0)); // GMEM_ZEROINIT/LMEM_ZEROINIT
define('malloc', (call) => heapAllocate(call, call.u32(0), false));
define('calloc', (call) => heapAllocate(call, call.u32(0) * call.u32(1), true));
// freeing NULL succeeds; freeing something that is not a live block fails
define('HeapFree RtlFreeHeap', (call) => (call.arg(2) === 0 || heapRelease(call, call.arg(2)) ? 1 : 0));
define('HeapReAlloc RtlReAllocateHeap', (call) => heapReallocate(call, call.arg(2), call.u32(3), call.u32(1)));
define('realloc', (call) => (call.arg(0) === 0 ? heapAllocate(call, call.u32(1), false) : heapReallocate(call, call.arg(0), call.u32(1), 0)));
define('HeapSize RtlSizeHeap', (call) => heapSize(call, call.arg(2)) ?? 0xffffffff);
define('GlobalFree LocalFree', (call) => {
  if (call.arg(0) === 0) return 0;
  return heapRelease(call, call.arg(0)) ? 0 : call.arg(0); // NULL on success, the handle on failure
});
define('free', (call) => {
  heapRelease(call, call.arg(0));
  return 0;
});
define('GetProcessHeap HeapCreate RtlCreateHeap', (call) => call.process.layout.heap);
define('HeapDestroy', () => 1);
// one thread, no fibers: fiber-local storage is thread-local storage (the CRT uses either)
define('TlsAlloc FlsAlloc', (call) => {
  const slots = call.process.localStorage;
  if (slots.length >= 1088) return 0xffffffff; // TLS_OUT_OF_INDEXES
  slots.push(0);
  return slots.length - 1;
});
define('TlsGetValue FlsGetValue', (call) => call.process.localStorage[call.u32(0)] ?? 0);
define('TlsSetValue FlsSetValue', (call) => {
  const index = call.u32(0);
  if (call.process.localStorage[index] === undefined) return 0;
  call.process.localStorage[index] = call.u32(1);
  return 1;
});
define('TlsFree FlsFree', (call) => {
  const index = call.u32(0);
  if (call.process.localStorage[index] === undefined) return 0;
  call.process.localStorage[index] = undefined;
  return 1;
});
// the C runtime's start-up checks: answered as success so it carries on to the code that matters
define('InitializeCriticalSectionAndSpinCount HeapSetInformation', () => 1);
// PF_XMMI_INSTRUCTIONS_AVAILABLE (6), PF_XMMI64_INSTRUCTIONS_AVAILABLE (10): the CPU has SSE/SSE2
define('IsProcessorFeaturePresent', (call) => ([6, 10].includes(call.u32(0)) ? 1 : 0));
// no real key: the CRT only needs DecodePointer to undo EncodePointer
define('EncodePointer DecodePointer EncodeSystemPointer DecodeSystemPointer', (call) => call.arg(0));

define('RtlMoveMemory memcpy memmove', (call) => {
  const [target, source, length] = [call.arg(0), call.arg(1), call.u32(2)];
  const bytes = call.bytes(source, Math.min(length, 0x1000000));
  if (bytes.length > 0 && call.memory.isMapped(target, bytes.length)) call.memory.write(target, bytes);
  return target;
});

define('memset', (call) => {
  const [target, value, length] = [call.arg(0), call.u32(1) & 0xff, call.u32(2)];
  if (length > 0 && length < 0x1000000 && call.memory.isMapped(target, length)) call.memory.write(target, new Uint8Array(length).fill(value));
  return target;
});

define('RtlZeroMemory', (call) => {
  const [target, length] = [call.arg(0), call.u32(1)];
  if (length > 0 && length < 0x1000000 && call.memory.isMapped(target, length)) call.memory.write(target, new Uint8Array(length));
  return 0;
});

define('RtlFillMemory', (call) => {
  const [target, length, value] = [call.arg(0), call.u32(1), call.u32(2) & 0xff];
  if (length > 0 && length < 0x1000000 && call.memory.isMapped(target, length)) call.memory.write(target, new Uint8Array(length).fill(value));
  return 0;
});

// ---- interlocked operations (one thread: atomic by construction) on a 32-bit LONG -----------------

define('InterlockedIncrement InterlockedDecrement', (call) => {
  const target = call.arg(0);
  if (!call.memory.isMapped(target, 4)) return 0;
  const value = (call.memory.readU32(target) + (call.target.name === 'InterlockedIncrement' ? 1 : -1)) | 0;
  call.memory.writeU32(target, value >>> 0);
  return value >>> 0; // the new value
});

define('InterlockedExchange', (call) => {
  const target = call.arg(0);
  if (!call.memory.isMapped(target, 4)) return 0;
  const previous = call.memory.readU32(target);
  call.memory.writeU32(target, call.u32(1));
  return previous;
});

define('InterlockedExchangeAdd', (call) => {
  const target = call.arg(0);
  if (!call.memory.isMapped(target, 4)) return 0;
  const previous = call.memory.readU32(target);
  call.memory.writeU32(target, (previous + call.u32(1)) >>> 0);
  return previous;
});

define('InterlockedCompareExchange', (call) => {
  const target = call.arg(0);
  if (!call.memory.isMapped(target, 4)) return 0;
  const previous = call.memory.readU32(target);
  if (previous === call.u32(2)) call.memory.writeU32(target, call.u32(1));
  return previous;
});

// ---- strings and code pages (the ANSI code page is Latin-1 here; anything wider becomes '?') ------

define('MultiByteToWideChar', (call) => {
  const units = readUnits(call, call.arg(2), call.i32(3), 1);
  if (units === undefined) return failWith(call, ERROR_INVALID_PARAMETER);
  return writeUnits(call, units, call.arg(4), call.u32(5), 2);
});

define('WideCharToMultiByte', (call) => {
  const units = readUnits(call, call.arg(2), call.i32(3), 2);
  if (units === undefined) return failWith(call, ERROR_INVALID_PARAMETER);
  const narrowed = units.map((unit) => (unit > 0xff ? 0x3f : unit));
  const usedDefault = call.arg(7);
  if (usedDefault !== 0 && call.memory.isMapped(usedDefault, 4)) call.memory.writeU32(usedDefault, narrowed.some((unit, i) => unit !== units[i]) ? 1 : 0);
  return writeUnits(call, narrowed, call.arg(4), call.u32(5), 1);
});

define('GetModuleFileNameA GetModuleFileNameW', (call) => {
  const module = call.arg(0) === 0 ? call.process.modules[0] : call.process.moduleAt(call.arg(0));
  if (!module) return failWith(call, ERROR_MOD_NOT_FOUND);
  const [buffer, size] = [call.arg(1), call.u32(2)];
  const path = module.path;
  const wide = call.isWide;
  const fits = path.length < size;
  const shown = fits ? path : path.slice(0, Math.max(size - 1, 0));
  if (size > 0) writeUnits(call, [...`${shown}\0`].map((char) => char.charCodeAt(0)), buffer, size, wide ? 2 : 1);
  if (!fits) {
    call.process.lastError = ERROR_INSUFFICIENT_BUFFER;
    return size;
  }
  return path.length;
});

define('lstrlenA strlen', (call) => call.ansi(0, 0x100000).length);
define('lstrlenW wcslen', (call) => call.wide(0, 0x100000).length);

// ---- netapi32 -----------------------------------------------------------------------------------

// statistics of the workstation service since it started: all zero (what entropy gatherers read)
define('NetStatisticsGet', (call) => {
  const out = call.arg(4);
  if (out === 0 || !call.memory.isMapped(out, call.bits / 8)) return ERROR_INVALID_PARAMETER;
  const buffer = heapAllocate(call, STAT_WORKSTATION_0_SIZE, true);
  if (buffer === 0) return 8; // ERROR_NOT_ENOUGH_MEMORY
  writePointer(call.memory, call.bits, out, buffer);
  return 0; // NERR_Success
});

define('NetApiBufferAllocate', (call) => {
  const out = call.arg(1);
  if (out === 0 || !call.memory.isMapped(out, call.bits / 8)) return ERROR_INVALID_PARAMETER;
  const buffer = heapAllocate(call, call.u32(0), true);
  writePointer(call.memory, call.bits, out, buffer);
  return buffer === 0 ? 8 : 0;
});

define('NetApiBufferFree', (call) => {
  if (call.arg(0) !== 0) heapRelease(call, call.arg(0));
  return 0;
});

// ---- Winsock -----------------------------------------------------------------------------------

define('WSAStartup', (call) => {
  const data = call.arg(1);
  if (data !== 0 && call.memory.isMapped(data, 4)) {
    call.memory.writeU16(data, 0x0202); // wVersion
    call.memory.writeU16(data + 2, 0x0202); // wHighVersion
  }
  call.record('network', 'winsock start', { version: `0x${call.u32(0).toString(16)}` });
  return 0;
});

define('WSACleanup', () => 0);

define('socket WSASocketA WSASocketW', (call) => {
  const [family, type, protocol] = [call.i32(0), call.i32(1), call.i32(2)];
  const kind: SocketKind = type === 2 ? 'udp' : type === 3 ? 'raw' : 'tcp';
  const handle = call.process.newHandle({ kind: 'socket', socket: { id: 0, kind } });
  const object = call.process.handles.get(handle)!;
  if (object.kind === 'socket') object.socket = { id: handle, kind };
  call.record('network', `socket ${kind}`, { family, type, protocol, socket: handle }, handle);
  return handle;
});

define('connect WSAConnect', (call) => {
  const socket = socketOf(call, call.arg(0));
  const target = readSocketAddress(call.memory, call.arg(1));
  const where = formatEndpoint(target.address, target.port);
  if (!socket) return failSocket(call);
  const result = call.process.endpoint.connect(socket.socket, target.address, target.port);
  if (result.kind === 'would_block') return BLOCKED;
  const ok = result.kind === 'connected';
  socket.remote = where;
  call.record('network', `connect ${where}`, { address: target.address, port: target.port, socket: socket.socket.id, result: result.kind }, ok ? 0 : SOCKET_ERROR);
  if (!ok) call.process.lastError = WSAECONNREFUSED;
  return ok ? 0 : SOCKET_ERROR;
});

define('bind', (call) => {
  const socket = socketOf(call, call.arg(0));
  const local = readSocketAddress(call.memory, call.arg(1));
  if (!socket) return failSocket(call);
  socket.local = formatEndpoint(local.address, local.port);
  const ok = call.process.endpoint.bind(socket.socket, local.address, local.port);
  call.record('network', `bind ${socket.local}`, { address: local.address, port: local.port, socket: socket.socket.id });
  return ok ? 0 : SOCKET_ERROR;
});

define('listen', (call) => {
  const socket = socketOf(call, call.arg(0));
  if (!socket) return failSocket(call);
  const ok = call.process.endpoint.listen(socket.socket, call.i32(1));
  call.record('network', `listen ${socket.local ?? '?'}`, { socket: socket.socket.id, backlog: call.i32(1) });
  return ok ? 0 : SOCKET_ERROR;
});

define('accept WSAAccept', (call) => {
  const socket = socketOf(call, call.arg(0));
  if (!socket) return failSocket(call);
  const result = call.process.endpoint.accept(socket.socket);
  if (result.kind === 'would_block') return BLOCKED;
  const handle = call.process.newHandle({ kind: 'socket', socket: { id: 0, kind: 'tcp' } });
  const accepted = call.process.handles.get(handle)!;
  if (accepted.kind === 'socket') {
    accepted.socket = { id: handle, kind: 'tcp' };
    accepted.remote = formatEndpoint(result.peerAddress, result.peerPort);
    accepted.local = socket.local;
  }
  writeSocketAddress(call.memory, call.arg(1), result.peerAddress, result.peerPort);
  call.record('network', `accept on ${socket.local ?? '?'} from ${formatEndpoint(result.peerAddress, result.peerPort)}`, { socket: socket.socket.id, accepted: handle }, handle);
  return handle;
});

define('send sendto', (call) => {
  const socket = socketOf(call, call.arg(0));
  const length = Math.min(call.u32(2), 0x1000000);
  const bytes = call.bytes(call.arg(1), length);
  if (!socket) return failSocket(call);
  // an unreadable buffer fails with WSAEFAULT; the attempt is still behaviour worth recording
  const readable = bytes.length === length;
  const args: Record<string, string | number | boolean> = { socket: socket.socket.id, length, preview: previewBytes(bytes), bufferReadable: readable };
  const suffix = readable ? '' : ' (buffer unreadable)';
  let sent: number;
  if (call.target.name === 'sendto') {
    const target = readSocketAddress(call.memory, call.arg(4));
    Object.assign(args, { address: target.address, port: target.port });
    sent = readable ? call.process.endpoint.sendTo(socket.socket, bytes, target.address, target.port) : SOCKET_ERROR;
    call.record('network', `sendto ${formatEndpoint(target.address, target.port)} ${length} bytes${suffix}`, args, sent);
  } else {
    sent = readable ? call.process.endpoint.send(socket.socket, bytes) : SOCKET_ERROR;
    call.record('network', `send ${length} bytes to ${socket.remote ?? '?'}${suffix}`, args, sent);
  }
  if (!readable) call.process.lastError = WSAEFAULT;
  return sent;
});

define('recv recvfrom', (call) => {
  const socket = socketOf(call, call.arg(0));
  const [buffer, length] = [call.arg(1), call.u32(2)];
  if (!socket) return failSocket(call);
  const result = call.process.endpoint.receive(socket.socket, length);
  if (result.kind === 'would_block' || call.process.keepsReadingClosed(socket.socket.id, result.kind === 'closed')) return BLOCKED;
  const received = result.kind === 'data' ? result.bytes : new Uint8Array(0);
  if (received.length > 0 && call.memory.isMapped(buffer, received.length)) call.memory.write(buffer, received);
  call.record('network', `recv ${received.length} bytes from ${socket.remote ?? '?'}`, { socket: socket.socket.id, requested: length, length: received.length }, received.length);
  return received.length;
});

define('WSASend WSASendTo', (call) => {
  const socket = socketOf(call, call.arg(0));
  if (!socket) return failSocket(call);
  const bytes = gatherBuffers(call, call.arg(1), call.u32(2));
  const sent = call.process.endpoint.send(socket.socket, bytes);
  if (call.arg(3) !== 0 && call.memory.isMapped(call.arg(3), 4)) call.memory.writeU32(call.arg(3), sent);
  call.record('network', `send ${bytes.length} bytes to ${socket.remote ?? '?'}`, { socket: socket.socket.id, length: bytes.length, preview: previewBytes(bytes) });
  return 0;
});

define('WSARecv', (call) => {
  const socket = socketOf(call, call.arg(0));
  if (!socket) return failSocket(call);
  const pointerSize = call.bits / 8;
  const first = call.arg(1);
  if (!call.memory.isMapped(first, 2 * pointerSize)) return SOCKET_ERROR;
  const length = call.memory.readU32(first);
  const buffer = readPointer(call.memory, call.bits, first + pointerSize);
  const result = call.process.endpoint.receive(socket.socket, length);
  if (result.kind === 'would_block') return BLOCKED;
  const received = result.kind === 'data' ? result.bytes : new Uint8Array(0);
  if (received.length > 0 && call.memory.isMapped(buffer, received.length)) call.memory.write(buffer, received);
  if (call.arg(3) !== 0 && call.memory.isMapped(call.arg(3), 4)) call.memory.writeU32(call.arg(3), received.length);
  call.record('network', `recv ${received.length} bytes from ${socket.remote ?? '?'}`, { socket: socket.socket.id, length: received.length });
  return 0;
});

define('closesocket', (call) => {
  const socket = socketOf(call, call.arg(0));
  if (socket) {
    call.process.endpoint.close(socket.socket);
    call.process.handles.delete(socket.socket.id);
  }
  call.record('network', `close socket ${call.arg(0)}`, { socket: call.arg(0) });
  return 0;
});

define('shutdown setsockopt getsockopt ioctlsocket WSAIoctl WSAEventSelect WSAAsyncSelect', () => 0);
define('select', () => 1);
define('__WSAFDIsSet', () => 1);
define('WSAGetLastError', (call) => call.process.lastError);
define('WSASetLastError SetLastError RtlSetLastWin32Error', (call) => {
  call.process.lastError = call.u32(0);
  return 0;
});

define('gethostbyname', (call) => {
  const name = call.ansi(0, 256);
  const address = call.process.endpoint.resolve(name);
  call.record('network', `resolve ${name}${address ? ` -> ${address}` : ''}`, { name, address: address ?? '' });
  return address ? buildHostent(call, name, address) : 0;
});

define('gethostname', (call) => {
  const name = 'DUMMY01';
  const buffer = call.arg(0);
  if (call.memory.isMapped(buffer, name.length + 1)) call.memory.write(buffer, new TextEncoder().encode(`${name}\0`));
  return 0;
});

define('inet_addr', (call) => {
  const parts = parseIpv4(call.ansi(0, 64));
  return parts ? (parts[0]! | (parts[1]! << 8) | (parts[2]! << 16) | (parts[3]! << 24)) >>> 0 : 0xffffffff;
});

define('htons ntohs', (call) => {
  const value = call.u32(0) & 0xffff;
  return ((value & 0xff) << 8) | (value >> 8);
});

define('htonl ntohl', (call) => {
  const value = call.u32(0);
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
});

// ---- processes ---------------------------------------------------------------------------------

define('WinExec', (call) => {
  const command = call.ansi(0);
  call.record('process', `exec ${command}`, { commandLine: command, show: call.u32(1) });
  return 33;
});

define('CreateProcessA CreateProcessW', (call) => {
  const application = call.text(0);
  const commandLine = call.text(1);
  const startupInfo = call.arg(8);
  const processInformation = call.arg(9);
  const stdio = describeStandardHandles(call, startupInfo);
  const shown = commandLine || application;
  const args: Record<string, string> = { commandLine: shown };
  if (application) args.application = application;
  if (stdio) args.stdio = stdio;
  call.record('process', `exec ${shown}${stdio ? ` (stdio: ${stdio})` : ''}`, args);
  writeProcessInformation(call, processInformation, shown);
  return 1;
});

define('CreateProcessAsUserA CreateProcessAsUserW CreateProcessWithLogonW', (call) => {
  const index = call.target.name === 'CreateProcessWithLogonW' ? 4 : 1;
  const shown = call.text(index + 1) || call.text(index);
  call.record('process', `exec ${shown}`, { commandLine: shown });
  return 1;
});

define('ShellExecuteA ShellExecuteW', (call) => {
  const operation = call.text(1) || 'open';
  const file = call.text(2);
  const parameters = call.text(3);
  const command = parameters ? `${file} ${parameters}` : file;
  call.record('process', `exec ${command}`, { commandLine: command, operation });
  return 42;
});

define('system _wsystem', (call) => {
  const command = call.text(0);
  call.record('process', `exec ${command}`, { commandLine: command });
  return 0;
});

define('_popen _wpopen', (call) => {
  const command = call.text(0);
  call.record('process', `exec ${command}`, { commandLine: command });
  return call.process.newHandle({ kind: 'process', commandLine: command });
});

define('_execv _execve _execvp _spawnv _spawnvp', (call) => {
  const spawn = call.target.name.startsWith('_spawn');
  const path = call.ansi(spawn ? 1 : 0);
  const argv = readArgv(call, call.arg(spawn ? 2 : 1));
  call.record('process', `exec ${argv.length > 0 ? argv.join(' ') : path}`, { path, argv });
  return 0;
});

define('CreateThread CreateRemoteThread', (call) => {
  const start = call.arg(call.target.name === 'CreateRemoteThread' ? 3 : 2);
  call.record('thread', `create thread at 0x${start.toString(16)}`, { start });
  return call.process.newHandle({ kind: 'thread', start });
});

define('WaitForSingleObject WaitForSingleObjectEx WaitForMultipleObjects', (call) => {
  call.record('other', `wait 0x${call.arg(0).toString(16)}`, { handle: call.arg(0) });
  return 0;
});

define('GetCurrentProcess', () => CURRENT_PROCESS);
define('GetCurrentThread', () => -2);
define('GetCurrentProcessId', (call) => call.process.processId);
define('GetCurrentThreadId', (call) => call.process.threadId);
define('IsDebuggerPresent', () => 0);
define('GetLastError RtlGetLastWin32Error', (call) => call.process.lastError);
define('GetVersion', (call) => (call.process.version === 'xp' ? 0x0a280105 : 0x1db10106));
define('GetTickCount', (call) => (0x00a00000 + Math.floor(virtualMicroseconds(call) / 1000)) >>> 0);
// virtual time: slept milliseconds plus 10 ns per executed instruction, so it only moves forward
define('QueryPerformanceCounter', (call) => {
  const target = call.arg(0);
  if (!call.memory.isMapped(target, 8)) return 0;
  const ticks = BigInt(Math.floor((virtualMicroseconds(call) * PERFORMANCE_FREQUENCY) / 1_000_000)) + 0x2540be400n; // booted a while ago
  call.memory.writeU32(target, Number(ticks & 0xffffffffn));
  call.memory.writeU32(target + 4, Number(ticks >> 32n));
  return 1;
});
define('QueryPerformanceFrequency', (call) => {
  const target = call.arg(0);
  if (!call.memory.isMapped(target, 8)) return 0;
  call.memory.writeU32(target, PERFORMANCE_FREQUENCY);
  call.memory.writeU32(target + 4, 0);
  return 1;
});
define('GetStartupInfoA GetStartupInfoW', (call) => {
  // a process started without special start-up information: all zero but the size
  const size = call.bits === 64 ? 104 : 68;
  const target = call.arg(0);
  if (call.memory.isMapped(target, size)) {
    call.memory.write(target, new Uint8Array(size));
    call.memory.writeU32(target, size);
  }
  return 0;
});
define('GetEnvironmentStrings GetEnvironmentStringsA GetEnvironmentStringsW', (call) => {
  const wide = call.target.name.endsWith('W');
  const block = `${ENVIRONMENT.join('\0')}\0\0`;
  const bytes = wide ? new Uint8Array(block.length * 2) : new Uint8Array(block.length);
  for (let i = 0; i < block.length; i++) bytes[wide ? i * 2 : i] = block.charCodeAt(i);
  const address = call.process.heap.allocate(bytes.length);
  if (address !== 0) call.memory.write(address, bytes);
  return address;
});
define('FreeEnvironmentStringsA FreeEnvironmentStringsW', (call) => {
  call.process.heap.release(call.arg(0));
  return 1;
});
define('GetCommandLineA', (call) => call.process.commandLineAddress.ansi);
define('GetCommandLineW', (call) => call.process.commandLineAddress.wide);

define('GetSystemDirectoryA GetSystemDirectoryW GetWindowsDirectoryA GetWindowsDirectoryW GetTempPathA GetTempPathW', (call) => {
  const name = call.target.name;
  const [buffer, size] = name.startsWith('GetTempPath') ? [call.arg(1), call.u32(0)] : [call.arg(0), call.u32(1)];
  const value = name.startsWith('GetSystem') ? 'C:\\WINDOWS\\system32' : name.startsWith('GetWindows') ? 'C:\\WINDOWS' : 'C:\\WINDOWS\\TEMP\\';
  return writeText(call, buffer, size, value);
});

define('SetUnhandledExceptionFilter', (call) => {
  const previous = call.process.unhandledExceptionFilter;
  call.process.unhandledExceptionFilter = call.arg(0);
  call.record('other', `exception filter 0x${call.arg(0).toString(16)}`, { handler: call.arg(0) });
  return previous;
});

define('ExitProcess ExitThread RtlExitUserThread RtlExitUserProcess exit _exit FreeLibraryAndExitThread', (call) => {
  const code = call.u32(call.target.name === 'FreeLibraryAndExitThread' ? 1 : 0);
  call.record('exit', `${call.target.name} ${code}`, { code });
  call.stop('exit', call.api, code);
  return 0;
});

define('TerminateProcess NtTerminateProcess ZwTerminateProcess TerminateThread', (call) => {
  const handle = call.i32(0);
  const code = call.u32(1);
  call.record('exit', `${call.target.name} ${handle === CURRENT_PROCESS || handle === -2 || handle === 0 ? 'self' : `0x${(handle >>> 0).toString(16)}`} ${code}`, { handle, code });
  if (handle === CURRENT_PROCESS || handle === -2 || handle === 0) call.stop('exit', call.api, code);
  return 1;
});

define('Sleep SleepEx', (call) => {
  const milliseconds = call.u32(0);
  call.process.trace.virtualTimeMs += milliseconds === 0xffffffff ? 86_400_000 : milliseconds;
  call.record('time', `sleep ${milliseconds} ms`, { milliseconds });
  return 0;
});

// ---- downloads ---------------------------------------------------------------------------------

define('URLDownloadToFileA URLDownloadToFileW URLDownloadToCacheFileA URLDownloadToCacheFileW', (call) => {
  const url = call.text(1);
  const cache = call.target.name.includes('Cache');
  const path = cache ? '(cache)' : call.text(2);
  if (cache) writeText(call, call.arg(2), call.u32(3), 'C:\\Documents and Settings\\user\\Local Settings\\Temporary Internet Files\\x.exe');
  call.record('download', `download ${url} -> ${path}`, { url, path });
  return 0;
});

define('InternetOpenA InternetOpenW', (call) => {
  const agent = call.text(0);
  call.record('download', `internet open${agent ? ` agent ${agent}` : ''}`, { agent });
  return call.process.newHandle({ kind: 'internet' });
});

define('InternetOpenUrlA InternetOpenUrlW', (call) => {
  const url = call.text(1);
  call.record('download', `download ${url}`, { url });
  return call.process.newHandle({ kind: 'internet', url });
});

define('InternetConnectA InternetConnectW', (call) => {
  const server = call.text(1);
  const port = call.u32(2) & 0xffff;
  call.record('network', `connect ${formatEndpoint(server, port)} (http)`, { address: server, port });
  return call.process.newHandle({ kind: 'internet', server, port });
});

define('HttpOpenRequestA HttpOpenRequestW', (call) => {
  const connection = call.process.handles.get(call.arg(0));
  const verb = call.text(1) || 'GET';
  const path = call.text(2) || '/';
  const server = connection?.kind === 'internet' ? connection.server : undefined;
  const port = connection?.kind === 'internet' ? connection.port : undefined;
  const object: { kind: 'internet'; verb: string; path: string; server?: string; port?: number } = { kind: 'internet', verb, path };
  if (server !== undefined) object.server = server;
  if (port !== undefined) object.port = port;
  return call.process.newHandle(object);
});

define('HttpSendRequestA HttpSendRequestW HttpSendRequestExA', (call) => {
  const request = call.process.handles.get(call.arg(0));
  const url =
    request?.kind === 'internet' ? `http://${request.server ?? '?'}${request.port && request.port !== 80 ? `:${request.port}` : ''}${request.path ?? '/'}` : '?';
  const verb = request?.kind === 'internet' ? (request.verb ?? 'GET') : 'GET';
  call.record('download', `http ${verb} ${url}`, { url, verb });
  return 1;
});

define('InternetReadFile', (call) => {
  if (call.arg(3) !== 0 && call.memory.isMapped(call.arg(3), 4)) call.memory.writeU32(call.arg(3), 0);
  return 1;
});

define('InternetCloseHandle InternetSetOptionA InternetSetOptionW HttpAddRequestHeadersA HttpEndRequestA HttpQueryInfoA', () => 1);

// ---- files -------------------------------------------------------------------------------------

define('CreateFileA CreateFileW', (call) => {
  const path = call.text(0);
  const access = call.u32(1);
  const write = (access & 0x40000000) !== 0 || (access & 0x10000000) !== 0;
  call.record('file', `open ${path}${write ? ' for writing' : ''}`, { path, access: `0x${access.toString(16)}`, disposition: call.u32(4) });
  return call.process.newHandle({ kind: 'file', path, write });
});

define('WriteFile', (call) => {
  const handle = call.process.handles.get(call.arg(0));
  const length = call.u32(2);
  const bytes = call.bytes(call.arg(1), Math.min(length, 0x1000000));
  if (call.arg(3) !== 0 && call.memory.isMapped(call.arg(3), 4)) call.memory.writeU32(call.arg(3), length);
  if (handle?.kind === 'socket') {
    call.process.endpoint.send(handle.socket, bytes);
    call.record('network', `send ${bytes.length} bytes to ${handle.remote ?? '?'}`, { socket: handle.socket.id, length: bytes.length });
  } else {
    const path = handle?.kind === 'file' ? handle.path : `handle 0x${call.arg(0).toString(16)}`;
    call.record('file', `write ${length} bytes to ${path}`, { path, length, preview: previewBytes(bytes) });
  }
  return 1;
});

define('ReadFile', (call) => {
  const handle = call.process.handles.get(call.arg(0));
  if (handle?.kind === 'socket') {
    const result = call.process.endpoint.receive(handle.socket, call.u32(2));
    if (result.kind === 'would_block') return BLOCKED;
    const bytes = result.kind === 'data' ? result.bytes : new Uint8Array(0);
    if (bytes.length > 0 && call.memory.isMapped(call.arg(1), bytes.length)) call.memory.write(call.arg(1), bytes);
    if (call.arg(3) !== 0 && call.memory.isMapped(call.arg(3), 4)) call.memory.writeU32(call.arg(3), bytes.length);
    return 1;
  }
  if (call.arg(3) !== 0 && call.memory.isMapped(call.arg(3), 4)) call.memory.writeU32(call.arg(3), 0);
  return 1;
});

define('CloseHandle', (call) => {
  call.process.handles.delete(call.arg(0));
  return 1;
});

define('fopen _wfopen', (call) => {
  const path = call.text(0);
  const mode = call.text(1, 8);
  const write = /[wa+]/.test(mode);
  call.record('file', `open ${path}${write ? ' for writing' : ''}`, { path, mode });
  return call.process.newHandle({ kind: 'file', path, write });
});

define('fwrite', (call) => {
  const handle = call.process.handles.get(call.arg(3));
  const length = Math.min(call.u32(1) * call.u32(2), 0x1000000);
  const path = handle?.kind === 'file' ? handle.path : `stream 0x${call.arg(3).toString(16)}`;
  call.record('file', `write ${length} bytes to ${path}`, { path, length, preview: previewBytes(call.bytes(call.arg(0), length)) });
  return call.u32(2);
});

define('fclose _close', (call) => {
  call.process.handles.delete(call.arg(0));
  return 0;
});

define('DeleteFileA DeleteFileW', (call) => {
  call.record('file', `delete ${call.text(0)}`, { path: call.text(0) });
  return 1;
});

define('CopyFileA CopyFileW MoveFileA MoveFileW', (call) => {
  const verb = call.target.name.startsWith('Copy') ? 'copy' : 'move';
  call.record('file', `${verb} ${call.text(0)} -> ${call.text(1)}`, { from: call.text(0), to: call.text(1) });
  return 1;
});

define('MessageBoxA MessageBoxW', (call) => {
  call.record('other', `message box "${call.text(1, 200)}"`, { text: call.text(1, 200), caption: call.text(2, 200) });
  return 1;
});

// ---- helpers -----------------------------------------------------------------------------------

export const API_HANDLERS: Readonly<Record<string, ApiHandler>> = handlers;

/** Any export without a handler: recorded, answered with a fresh handle for Create/Open, else 0. */
export function defaultHandler(call: ApiCall): ApiResult {
  const shown = Math.min(call.target.spec.argumentCountKnown ? call.target.spec.argumentCount : 2, 4);
  const args: Record<string, number> = {};
  for (let i = 0; i < shown; i++) args[`arg${i}`] = call.arg(i);
  const listed = Object.values(args).map((value) => `0x${value.toString(16)}`).join(', ');
  call.record('other', `${call.target.name}(${listed})`, args);
  if (/^(Create|Open)/.test(call.target.name)) return call.process.newHandle({ kind: 'other', name: call.target.name });
  return 0;
}

/** What `GetEnvironmentStrings` hands out: a plain system account's variables. */
const ENVIRONMENT = [
  'ALLUSERSPROFILE=C:\\Documents and Settings\\All Users',
  'COMPUTERNAME=DUMMY01',
  'ComSpec=C:\\WINDOWS\\system32\\cmd.exe',
  'NUMBER_OF_PROCESSORS=1',
  'OS=Windows_NT',
  'Path=C:\\WINDOWS\\system32;C:\\WINDOWS;C:\\WINDOWS\\System32\\Wbem',
  'PATHEXT=.COM;.EXE;.BAT;.CMD',
  'PROCESSOR_ARCHITECTURE=x86',
  'SystemDrive=C:',
  'SystemRoot=C:\\WINDOWS',
  'TEMP=C:\\WINDOWS\\TEMP',
  'TMP=C:\\WINDOWS\\TEMP',
  'windir=C:\\WINDOWS',
];

/** The DLLs whose export tables the process models: GetProcAddress answers NULL for other names. */
const MODELLED_DLLS = new Set(WINDOWS_DLLS.map((dll) => dll.name));

function isModelledDll(name: string): boolean {
  return MODELLED_DLLS.has(name.toLowerCase());
}

function virtualMicroseconds(call: ApiCall): number {
  return call.process.trace.virtualTimeMs * 1000 + call.cpu.instructionCount / 100;
}

/** Requested sizes of live heap blocks (the heap itself keeps them rounded up), per process. */
const requestedSizes = new WeakMap<object, Map<number, number>>();

function sizesOf(call: ApiCall): Map<number, number> {
  let sizes = requestedSizes.get(call.process);
  if (!sizes) requestedSizes.set(call.process, (sizes = new Map()));
  return sizes;
}

function heapAllocate(call: ApiCall, size: number, zero: boolean): number {
  const address = call.process.heap.allocate(size, zero);
  if (address !== 0) sizesOf(call).set(address, size);
  return address;
}

function heapRelease(call: ApiCall, address: number): boolean {
  sizesOf(call).delete(address);
  return call.process.heap.release(address);
}

function heapSize(call: ApiCall, address: number): number | undefined {
  const rounded = call.process.heap.sizeOf(address);
  return rounded === undefined ? undefined : (sizesOf(call).get(address) ?? rounded);
}

/** HeapReAlloc: in place when the block is big enough, else a new block with the old contents. */
function heapReallocate(call: ApiCall, address: number, size: number, flags: number): number {
  const old = heapSize(call, address);
  const capacity = call.process.heap.sizeOf(address);
  if (old === undefined || capacity === undefined) return 0;
  const zero = (flags & HEAP_ZERO_MEMORY) !== 0;
  if (size <= capacity) {
    if (zero && size > old) call.memory.write(address + old, new Uint8Array(size - old));
    sizesOf(call).set(address, size);
    return address;
  }
  if ((flags & HEAP_REALLOC_IN_PLACE_ONLY) !== 0) return 0;
  const moved = heapAllocate(call, size, zero);
  if (moved === 0) return 0;
  call.memory.write(moved, call.bytes(address, old));
  if (zero) call.memory.write(moved + old, new Uint8Array(size - old));
  heapRelease(call, address);
  return moved;
}

function failWith(call: ApiCall, error: number): number {
  call.process.lastError = error;
  return 0;
}

/** `count` code units of `size` bytes at `address`; -1: up to and including the terminating zero. */
function readUnits(call: ApiCall, address: number, count: number, size: 1 | 2): number[] | undefined {
  if (address === 0 || count === 0 || count < -1) return undefined;
  const units: number[] = [];
  const limit = count === -1 ? 0x100000 : count;
  for (let i = 0; i < limit; i++) {
    const at = address + i * size;
    if (!call.memory.isMapped(at, size)) return undefined;
    const unit = size === 1 ? call.memory.readU8(at) : call.memory.readU16(at);
    units.push(unit);
    if (count === -1 && unit === 0) break;
  }
  return units;
}

/** The conversion functions' contract: capacity 0 asks for the length; too small a buffer fails. */
function writeUnits(call: ApiCall, units: number[], buffer: number, capacity: number, size: 1 | 2): number {
  if (capacity === 0) return units.length;
  if (capacity < units.length) return failWith(call, ERROR_INSUFFICIENT_BUFFER);
  if (!call.memory.isMapped(buffer, units.length * size)) return failWith(call, ERROR_INVALID_PARAMETER);
  units.forEach((unit, i) => (size === 1 ? call.memory.writeU8(buffer + i, unit) : call.memory.writeU16(buffer + i * 2, unit)));
  return units.length;
}

function socketOf(call: ApiCall, handle: number) {
  const object = call.process.handles.get(handle);
  return object?.kind === 'socket' ? object : undefined;
}

function failSocket(call: ApiCall): number {
  call.process.lastError = WSAENOTSOCK;
  call.record('network', `${call.target.name} on a non-socket 0x${call.arg(0).toString(16)}`, { socket: call.arg(0) }, SOCKET_ERROR);
  return INVALID_SOCKET;
}

function gatherBuffers(call: ApiCall, array: number, count: number): Uint8Array {
  const pointerSize = call.bits / 8;
  const parts: Uint8Array[] = [];
  for (let i = 0; i < Math.min(count, 64); i++) {
    const entry = array + i * 2 * pointerSize;
    if (!call.memory.isMapped(entry, 2 * pointerSize)) break;
    parts.push(call.bytes(readPointer(call.memory, call.bits, entry + pointerSize), call.memory.readU32(entry)));
  }
  const total = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    total.set(part, offset);
    offset += part.length;
  }
  return total;
}

function buildHostent(call: ApiCall, name: string, address: string): number {
  const pointerSize = call.bits / 8;
  const process = call.process;
  const hostent = process.heap.allocate(pointerSize * 4 + 8);
  const nameAddress = process.allocateString(name, false);
  const addressBytes = process.heap.allocate(4);
  call.memory.write(addressBytes, Uint8Array.from(parseIpv4(address) ?? [0, 0, 0, 0]));
  const list = process.heap.allocate(pointerSize * 2);
  writePointer(call.memory, call.bits, list, addressBytes);
  const aliases = process.heap.allocate(pointerSize);
  writePointer(call.memory, call.bits, hostent, nameAddress);
  writePointer(call.memory, call.bits, hostent + pointerSize, aliases);
  call.memory.writeU16(hostent + pointerSize * 2, 2); // AF_INET
  call.memory.writeU16(hostent + pointerSize * 2 + 2, 4);
  writePointer(call.memory, call.bits, hostent + (call.bits === 64 ? 24 : 12), list);
  return hostent;
}

/** STARTUPINFO with STARTF_USESTDHANDLES: the classic shell bound to a socket. */
function describeStandardHandles(call: ApiCall, startupInfo: number): string {
  const layout = call.bits === 64 ? { flags: 0x3c, input: 0x50, output: 0x58, error: 0x60 } : { flags: 0x2c, input: 0x38, output: 0x3c, error: 0x40 };
  if (startupInfo === 0 || !call.memory.isMapped(startupInfo, layout.error + call.bits / 8)) return '';
  const flags = call.memory.readU32(startupInfo + layout.flags);
  if ((flags & 0x100) === 0) return '';
  const handles = [layout.input, layout.output, layout.error].map((offset) => readPointer(call.memory, call.bits, startupInfo + offset));
  const described = handles.map((handle) => {
    const object = call.process.handles.get(handle);
    return object?.kind === 'socket' ? `socket ${object.remote ?? object.local ?? handle}` : `0x${handle.toString(16)}`;
  });
  return [...new Set(described)].join(', ');
}

function writeProcessInformation(call: ApiCall, pointer: number, commandLine: string): void {
  const size = call.bits === 64 ? 24 : 16;
  if (pointer === 0 || !call.memory.isMapped(pointer, size)) return;
  const process = call.process.newHandle({ kind: 'process', commandLine });
  const thread = call.process.newHandle({ kind: 'thread', start: 0 });
  const pointerSize = call.bits / 8;
  writePointer(call.memory, call.bits, pointer, process);
  writePointer(call.memory, call.bits, pointer + pointerSize, thread);
  call.memory.writeU32(pointer + pointerSize * 2, 0x7a4);
  call.memory.writeU32(pointer + pointerSize * 2 + 4, 0x7a8);
}

function readArgv(call: ApiCall, pointer: number): string[] {
  const argv: string[] = [];
  const pointerSize = call.bits / 8;
  for (let i = 0; i < 64 && pointer !== 0 && call.memory.isMapped(pointer + i * pointerSize, pointerSize); i++) {
    const item = readPointer(call.memory, call.bits, pointer + i * pointerSize);
    if (item === 0) break;
    argv.push(call.bits === 64 ? readAnsiAt(call, item) : readAnsiAt(call, item));
  }
  return argv;
}

function readAnsiAt(call: ApiCall, address: number): string {
  let out = '';
  for (let i = 0; i < 4096 && call.memory.isMapped(address + i); i++) {
    const byte = call.memory.readU8(address + i);
    if (byte === 0) break;
    out += String.fromCharCode(byte);
  }
  return out;
}

function readUnicodeString(call: ApiCall, pointer: number): string {
  if (pointer === 0 || !call.memory.isMapped(pointer, call.bits === 64 ? 16 : 8)) return '';
  const length = call.memory.readU16(pointer);
  const buffer = readPointer(call.memory, call.bits, pointer + (call.bits === 64 ? 8 : 4));
  const bytes = call.bytes(buffer, length);
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return out;
}

function writeText(call: ApiCall, buffer: number, size: number, value: string): number {
  const wide = call.isWide;
  const bytes = wide ? new Uint8Array(value.length * 2 + 2) : new Uint8Array(value.length + 1);
  for (let i = 0; i < value.length; i++) {
    if (wide) bytes[i * 2] = value.charCodeAt(i);
    else bytes[i] = value.charCodeAt(i);
  }
  if (buffer === 0 || size <= value.length || !call.memory.isMapped(buffer, bytes.length)) return value.length + 1;
  call.memory.write(buffer, bytes);
  return value.length;
}

/** PAGE_* protection constants → guest permissions. */
function windowsProtection(protect: number): number {
  if (protect & 0x40 || protect & 0x80) return Perm.RWX; // EXECUTE_READWRITE, EXECUTE_WRITECOPY
  if (protect & 0x20) return Perm.RX;
  if (protect & 0x10) return Perm.EXEC;
  if (protect & 0x04 || protect & 0x08) return Perm.RW;
  if (protect & 0x02) return Perm.READ;
  return Perm.NONE;
}

function protectionName(protect: number): string {
  const names: Record<number, string> = { 0x01: 'NOACCESS', 0x02: 'R', 0x04: 'RW', 0x08: 'WC', 0x10: 'X', 0x20: 'RX', 0x40: 'RWX', 0x80: 'XWC' };
  return names[protect & 0xff] ?? `0x${protect.toString(16)}`;
}
