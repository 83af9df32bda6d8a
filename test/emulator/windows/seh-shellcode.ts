/**
 * Attacker-style code that relies on structured exception handling, written for these tests and
 * assembled with GNU as from the listings in the comments.
 */

/**
 * SEH GetPC: the handler is pushed onto the (executable) stack; it copies Context.Eip (the
 * faulting instruction) into Context.Eax, steps Eip past the 2-byte fault and answers
 * ExceptionContinueExecution. Handler: mov eax,[esp+0xc]; mov ecx,[eax+0xb8]; mov [eax+0xb0],ecx;
 * add dword [eax+0xb8],2; xor eax,eax; ret.
 */
export const SEH_GET_PC = Uint8Array.from([
  0x68, 0xc0, 0xc3, 0x90, 0x90, //  0  push 0x9090c3c0
  0x68, 0x00, 0x00, 0x02, 0x31, //  5  push 0x31020000
  0x68, 0x83, 0x80, 0xb8, 0x00, //  a  push 0xb88083
  0x68, 0xb0, 0x00, 0x00, 0x00, //  f  push 0xb0
  0x68, 0x00, 0x00, 0x89, 0x88, // 14  push 0x88890000
  0x68, 0x8b, 0x88, 0xb8, 0x00, // 19  push 0xb8888b
  0x68, 0x8b, 0x44, 0x24, 0x0c, // 1e  push 0xc24448b
  0x89, 0xe3, //                   23  mov ebx,esp
  0x53, //                         25  push ebx            (handler)
  0x6a, 0xff, //                   26  push -1             (end of chain)
  0x64, 0x89, 0x25, 0, 0, 0, 0, // 28  mov fs:[0],esp
  0x31, 0xc0, //                   2f  xor eax,eax
  0x89, 0x00, //                   31  mov [eax],eax       (access violation)
  0xf4, //                         33  hlt
]);

/**
 * An SEH egg hunter: scans with scasd from 0x260000; each access violation's handler moves
 * Context.Edi to the next page and Context.Eip back to the scan (kept in ebx). Finds "w00tw00t"
 * and runs what follows (mov eax, 0x600d; hlt).
 */
export const SEH_EGG_HUNTER = Uint8Array.from([
  0xeb, 0x22, //                               0  jmp 0x24
  0x8b, 0x44, 0x24, 0x0c, //                   2  mov eax,[esp+0xc]       (handler: Context)
  0x66, 0x81, 0x88, 0x9c, 0, 0, 0, 0xff, 0x0f, // 6  or word [eax+0x9c],0xfff  (Context.Edi)
  0xff, 0x80, 0x9c, 0, 0, 0, //                f  inc dword [eax+0x9c]
  0x8b, 0x88, 0xa4, 0, 0, 0, //               15  mov ecx,[eax+0xa4]       (Context.Ebx)
  0x89, 0x88, 0xb8, 0, 0, 0, //               1b  mov [eax+0xb8],ecx       (Context.Eip)
  0x31, 0xc0, //                              21  xor eax,eax
  0xc3, //                                    23  ret
  0xe8, 0, 0, 0, 0, //                        24  call 0x29
  0x5b, //                                    29  pop ebx
  0x8d, 0x53, 0xd9, //                        2a  lea edx,[ebx-0x27]       (handler)
  0x52, //                                    2d  push edx
  0x6a, 0xff, //                              2e  push -1
  0x64, 0x89, 0x25, 0, 0, 0, 0, //            30  mov fs:[0],esp
  0x81, 0xc3, 0x1e, 0, 0, 0, //               37  add ebx,0x1e            (the scan)
  0xbf, 0, 0, 0x26, 0, //                     3d  mov edi,0x260000
  0xb8, 0x77, 0x30, 0x30, 0x74, //            42  mov eax,"w00t"
  0xaf, //                                    47  scasd
  0x75, 0xfd, //                              48  jne 0x47
  0xaf, //                                    4a  scasd
  0x75, 0xfa, //                              4b  jne 0x47
  0xff, 0xe7, //                              4d  jmp edi
  0x90, //                                    4f  nop
  0x77, 0x30, 0x30, 0x74, 0x77, 0x30, 0x30, 0x74, // 50  "w00tw00t"
  0xb8, 0x0d, 0x60, 0, 0, //                  58  mov eax,0x600d
  0xf4, //                                    5d  hlt
]);
