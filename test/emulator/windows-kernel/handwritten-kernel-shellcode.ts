/**
 * A small x64 kernel-mode program written for these tests (assembled from the listing beside each
 * line): it finds ntoskrnl the way MS17-010-era payloads do — IA32_LSTAR, then back page by page
 * to 'MZ' — resolves ExAllocatePool by the ROR13 hash of its export name, allocates a page of
 * nonpaged pool, writes "OKOK" into it and returns to its caller. Nothing in it knows the emulated
 * kernel's addresses.
 */
export const KERNEL_X64_ALLOCATE = Uint8Array.from([
  0x53, //                               push rbx
  0x56, //                               push rsi
  0x57, //                               push rdi
  0x55, //                               push rbp
  0x48, 0x83, 0xec, 0x28, //             sub rsp, 0x28 (shadow space)
  0xb9, 0x82, 0x00, 0x00, 0xc0, //       mov ecx, 0xc0000082 (IA32_LSTAR)
  0x0f, 0x32, //                         rdmsr → edx:eax = KiSystemCall64
  0x48, 0xc1, 0xe2, 0x20, //             shl rdx, 32
  0x48, 0x09, 0xd0, //                   or rax, rdx
  0x48, 0x25, 0x00, 0xf0, 0xff, 0xff, // and rax, -0x1000
  // find_mz:
  0x66, 0x81, 0x38, 0x4d, 0x5a, //       cmp word [rax], 'MZ'
  0x74, 0x08, //                         je found
  0x48, 0x2d, 0x00, 0x10, 0x00, 0x00, // sub rax, 0x1000
  0xeb, 0xf1, //                         jmp find_mz
  // found:
  0x48, 0x89, 0xc5, //                   mov rbp, rax (ntoskrnl base)
  0x8b, 0x5d, 0x3c, //                   mov ebx, [rbp+0x3c] (e_lfanew)
  0x8b, 0x9c, 0x1d, 0x88, 0x00, 0x00, 0x00, // mov ebx, [rbp+rbx+0x88] (export directory rva)
  0x48, 0x01, 0xeb, //                   add rbx, rbp
  0x8b, 0x4b, 0x18, //                   mov ecx, [rbx+0x18] (NumberOfNames)
  0x44, 0x8b, 0x43, 0x20, //             mov r8d, [rbx+0x20] (AddressOfNames)
  0x49, 0x01, 0xe8, //                   add r8, rbp
  // next_name:
  0xff, 0xc9, //                         dec ecx
  0x78, 0x50, //                         js done
  0x41, 0x8b, 0x34, 0x88, //             mov esi, [r8+rcx*4]
  0x48, 0x01, 0xee, //                   add rsi, rbp
  0x31, 0xff, //                         xor edi, edi
  // hash_loop:
  0x0f, 0xb6, 0x06, //                   movzx eax, byte [rsi]
  0x84, 0xc0, //                         test al, al
  0x74, 0x0a, //                         jz hashed
  0xc1, 0xcf, 0x0d, //                   ror edi, 13
  0x01, 0xc7, //                         add edi, eax
  0x48, 0xff, 0xc6, //                   inc rsi
  0xeb, 0xef, //                         jmp hash_loop
  // hashed:
  0x81, 0xff, 0x62, 0xe0, 0x07, 0x37, // cmp edi, 0x3707e062 (ROR13 "ExAllocatePool")
  0x75, 0xda, //                         jne next_name
  0x44, 0x8b, 0x4b, 0x24, //             mov r9d, [rbx+0x24] (AddressOfNameOrdinals)
  0x49, 0x01, 0xe9, //                   add r9, rbp
  0x41, 0x0f, 0xb7, 0x0c, 0x49, //       movzx ecx, word [r9+rcx*2]
  0x44, 0x8b, 0x4b, 0x1c, //             mov r9d, [rbx+0x1c] (AddressOfFunctions)
  0x49, 0x01, 0xe9, //                   add r9, rbp
  0x41, 0x8b, 0x04, 0x89, //             mov eax, [r9+rcx*4]
  0x48, 0x01, 0xe8, //                   add rax, rbp
  0x31, 0xc9, //                         xor ecx, ecx (NonPagedPool)
  0xba, 0x00, 0x10, 0x00, 0x00, //       mov edx, 0x1000
  0xff, 0xd0, //                         call rax (ExAllocatePool)
  0x48, 0x85, 0xc0, //                   test rax, rax
  0x74, 0x06, //                         jz done
  0xc7, 0x00, 0x4f, 0x4b, 0x4f, 0x4b, // mov dword [rax], 'OKOK'
  // done:
  0x48, 0x83, 0xc4, 0x28, //             add rsp, 0x28
  0x5d, //                               pop rbp
  0x5f, //                               pop rdi
  0x5e, //                               pop rsi
  0x5b, //                               pop rbx
  0xc3, //                               ret
]);
