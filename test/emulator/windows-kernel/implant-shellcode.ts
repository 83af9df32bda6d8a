/**
 * Small x64 kernel payloads written for the implant tests (assembled from the listing beside each
 * line). Each starts from its own return address — the exploited driver that called it — and finds
 * that driver's image by walking back to 'MZ'; nothing in them knows the emulated kernel's layout.
 */

/** walks from the return address back to the calling driver's 'MZ'; leaves its base in rax (25 bytes) */
const FIND_CALLER_IMAGE = [
  0x48, 0x8b, 0x04, 0x24, //             mov rax, [rsp] (return address in the driver)
  0x48, 0x25, 0x00, 0xf0, 0xff, 0xff, // and rax, -0x1000
  // find_mz:
  0x66, 0x81, 0x38, 0x4d, 0x5a, //       cmp word [rax], 'MZ'
  0x74, 0x08, //                         je found
  0x48, 0x2d, 0x00, 0x10, 0x00, 0x00, // sub rax, 0x1000
  0xeb, 0xf1, //                         jmp find_mz
  // found:
];

/** rdx = an address in the last page (.data) of the image at rax: base + SizeOfImage - 0x800 */
const LAST_DATA_QWORD = [
  0x8b, 0x48, 0x3c, //                   mov ecx, [rax+0x3c] (e_lfanew)
  0x8b, 0x4c, 0x08, 0x50, //             mov ecx, [rax+rcx+0x50] (SizeOfImage)
  0x48, 0x8d, 0x94, 0x08, 0x00, 0xf8, 0xff, 0xff, // lea rdx, [rax+rcx-0x800]
];

/** Points a qword in the calling driver's data at a `ret` of its own (in pool): a hook that stays. */
export const KERNEL_X64_POINTER_HOOK = Uint8Array.from([
  ...FIND_CALLER_IMAGE,
  ...LAST_DATA_QWORD,
  0x48, 0x8d, 0x0d, 0x04, 0x00, 0x00, 0x00, // lea rcx, [rip+4] (hook)
  0x48, 0x89, 0x0a, //                   mov [rdx], rcx
  0xc3, //                               ret
  // hook:
  0xc3, //                               ret
]);

/** The same hook written and then put back before returning: nothing outlives the run. */
export const KERNEL_X64_TRANSIENT_HOOK = Uint8Array.from([
  ...FIND_CALLER_IMAGE,
  ...LAST_DATA_QWORD,
  0x4c, 0x8b, 0x02, //                   mov r8, [rdx] (the original value)
  0x48, 0x8d, 0x0d, 0x07, 0x00, 0x00, 0x00, // lea rcx, [rip+7] (hook)
  0x48, 0x89, 0x0a, //                   mov [rdx], rcx
  0x4c, 0x89, 0x02, //                   mov [rdx], r8 (restored)
  0xc3, //                               ret
  // hook:
  0xc3, //                               ret
]);

/** Overwrites four bytes of the calling driver's code just past the return address with nops (the image pads its code with int3). */
export const KERNEL_X64_CODE_PATCH = Uint8Array.from([
  0x48, 0x8b, 0x04, 0x24, //             mov rax, [rsp]
  0xc7, 0x40, 0x10, 0x90, 0x90, 0x90, 0x90, // mov dword [rax+0x10], 0x90909090
  0xc3, //                               ret
]);
