/** The emulated Windows 7 SP1 / 2008 R2 x64 kernel that kernel-mode payloads (MS17-010's) run in. */
export { WindowsKernel, KernelCall, type WindowsKernelOptions, type ImplantMechanism } from './windows-kernel.ts';
export { kernelImplantOf, dispatchSlotName, TRANS2_SESSION_SETUP_SLOT, type KernelImplant } from './kernel-implant.ts';
export { KERNEL_API, NTOSKRNL_EXPORTS, HAL_EXPORTS, STATUS, type KernelApiHandler, type KernelApiOutcome } from './kernel-api.ts';
export { buildKernelImage, type KernelImageSpec, type KernelSectionSpec } from './kernel-image.ts';
export { KernelMemory } from './kernel-memory.ts';
export { kernelAddress, addressBits, formatAddress, LAYOUT, KPCR, KPRCB, KTHREAD, ETHREAD, EPROCESS, KAPC, KLDR, IA32_LSTAR } from './kernel-structures.ts';
