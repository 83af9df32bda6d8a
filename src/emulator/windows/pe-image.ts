import type { Bits } from '../behaviour/guest.ts';
import type { ExportSpec } from './dll-exports.ts';

/** Bytes per export stub: the hook fires on the first byte; the rest keeps stubs apart. */
export const STUB_SIZE = 16;
const PAGE = 0x1000;
const PE_OFFSET = 0x80;
const EXPORT_DIRECTORY_RVA = 0x1000;

export interface BuiltExport {
  name: string;
  ordinal: number;
  rva: number;
  spec: ExportSpec;
}

export interface BuiltImage {
  bytes: Uint8Array;
  sizeOfImage: number;
  entryPointRva: number;
  exports: BuiltExport[];
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/**
 * A minimal in-memory PE image: DOS header, NT headers (PE32 on x86, PE32+ on x64, so resolvers
 * that check the optional-header magic take the right path), one section, an export directory
 * with names sorted as the loader's binary search expects, and one stub per export. The stubs are
 * where the API hooks fire; their bytes only matter when something reads them.
 */
export function buildPeImage(dllName: string, exports: readonly ExportSpec[], bits: Bits, imageBase: number): BuiltImage {
  const withOrdinals = assignOrdinals(exports);
  const ordinalBase = withOrdinals.length > 0 ? Math.min(...withOrdinals.map((entry) => entry.ordinal)) : 1;
  const highestOrdinal = withOrdinals.length > 0 ? Math.max(...withOrdinals.map((entry) => entry.ordinal)) : 0;
  const functionCount = withOrdinals.length > 0 ? highestOrdinal - ordinalBase + 1 : 0;
  const named = [...withOrdinals].sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));

  // export directory layout
  const functionsRva = EXPORT_DIRECTORY_RVA + 40;
  const namesRva = functionsRva + functionCount * 4;
  const ordinalsRva = namesRva + named.length * 4;
  let stringRva = ordinalsRva + named.length * 2;
  const dllNameRva = stringRva;
  stringRva += dllName.length + 1;
  const nameRvas: number[] = [];
  for (const entry of named) {
    nameRvas.push(stringRva);
    stringRva += entry.spec.name.length + 1;
  }
  const exportDirectorySize = stringRva - EXPORT_DIRECTORY_RVA;
  const stubsRva = alignUp(stringRva, PAGE);
  const entryPointRva = stubsRva;
  const sizeOfImage = alignUp(stubsRva + (withOrdinals.length + 1) * STUB_SIZE, PAGE);

  const image = new Uint8Array(sizeOfImage);
  const view = new DataView(image.buffer);
  writeHeaders(view, bits, imageBase, sizeOfImage, entryPointRva, exports.length > 0 ? exportDirectorySize : 0);

  // IMAGE_EXPORT_DIRECTORY
  const directory = EXPORT_DIRECTORY_RVA;
  view.setUint32(directory + 0x04, 0x4802a000, true); // TimeDateStamp: any fixed value
  view.setUint32(directory + 0x0c, dllNameRva, true);
  view.setUint32(directory + 0x10, ordinalBase, true);
  view.setUint32(directory + 0x14, functionCount, true);
  view.setUint32(directory + 0x18, named.length, true);
  view.setUint32(directory + 0x1c, functionsRva, true);
  view.setUint32(directory + 0x20, namesRva, true);
  view.setUint32(directory + 0x24, ordinalsRva, true);
  writeAscii(image, dllNameRva, dllName);

  const built: BuiltExport[] = [];
  withOrdinals.forEach((entry, index) => {
    const rva = stubsRva + (index + 1) * STUB_SIZE;
    view.setUint32(functionsRva + (entry.ordinal - ordinalBase) * 4, rva, true);
    writeStub(image, rva, bits);
    built.push({ name: entry.spec.name, ordinal: entry.ordinal, rva, spec: entry.spec });
  });
  writeStub(image, entryPointRva, bits);
  named.forEach((entry, index) => {
    view.setUint32(namesRva + index * 4, nameRvas[index]!, true);
    view.setUint16(ordinalsRva + index * 2, entry.ordinal - ordinalBase, true);
    writeAscii(image, nameRvas[index]!, entry.spec.name);
  });
  return { bytes: image, sizeOfImage, entryPointRva, exports: built };
}

function assignOrdinals(exports: readonly ExportSpec[]): { spec: ExportSpec; ordinal: number }[] {
  const pinned = exports.filter((spec) => spec.ordinal !== undefined).map((spec) => spec.ordinal!);
  let next = pinned.length > 0 ? Math.max(...pinned) + 1 : 1;
  const seen = new Set<string>();
  const out: { spec: ExportSpec; ordinal: number }[] = [];
  for (const spec of exports) {
    if (seen.has(spec.name)) continue;
    seen.add(spec.name);
    out.push({ spec, ordinal: spec.ordinal ?? next++ });
  }
  return out;
}

function writeHeaders(
  view: DataView,
  bits: Bits,
  imageBase: number,
  sizeOfImage: number,
  entryPointRva: number,
  exportDirectorySize: number,
): void {
  view.setUint16(0, 0x5a4d, true); // "MZ"
  view.setUint32(0x3c, PE_OFFSET, true); // e_lfanew
  view.setUint32(PE_OFFSET, 0x00004550, true); // "PE\0\0"
  const fileHeader = PE_OFFSET + 4;
  const optionalHeaderSize = bits === 64 ? 0xf0 : 0xe0;
  view.setUint16(fileHeader + 0x00, bits === 64 ? 0x8664 : 0x014c, true); // Machine
  view.setUint16(fileHeader + 0x02, 1, true); // NumberOfSections
  view.setUint32(fileHeader + 0x04, 0x4802a000, true);
  view.setUint16(fileHeader + 0x10, optionalHeaderSize, true);
  view.setUint16(fileHeader + 0x12, bits === 64 ? 0x2022 : 0x210e, true); // DLL | executable
  const optional = fileHeader + 20;
  view.setUint16(optional + 0x00, bits === 64 ? 0x020b : 0x010b, true); // Magic
  view.setUint32(optional + 0x04, sizeOfImage - PAGE, true); // SizeOfCode
  view.setUint32(optional + 0x10, entryPointRva, true);
  view.setUint32(optional + 0x14, PAGE, true); // BaseOfCode
  if (bits === 64) view.setBigUint64(optional + 0x18, BigInt(imageBase), true);
  else view.setUint32(optional + 0x1c, imageBase, true);
  view.setUint32(optional + 0x20, PAGE, true); // SectionAlignment
  view.setUint32(optional + 0x24, 0x200, true); // FileAlignment
  view.setUint16(optional + 0x28, bits === 64 ? 6 : 5, true); // MajorOperatingSystemVersion
  view.setUint16(optional + 0x30, bits === 64 ? 6 : 5, true); // MajorSubsystemVersion
  view.setUint32(optional + 0x38, sizeOfImage, true);
  view.setUint32(optional + 0x3c, PAGE, true); // SizeOfHeaders
  view.setUint16(optional + 0x44, 3, true); // Subsystem: console
  const rvaCountOffset = bits === 64 ? 0x6c : 0x5c;
  view.setUint32(optional + rvaCountOffset, 16, true);
  const dataDirectory = optional + rvaCountOffset + 4;
  if (exportDirectorySize > 0) {
    view.setUint32(dataDirectory + 0, EXPORT_DIRECTORY_RVA, true);
    view.setUint32(dataDirectory + 4, exportDirectorySize, true);
  }
  const section = optional + optionalHeaderSize;
  writeAscii(new Uint8Array(view.buffer), section, '.text');
  view.setUint32(section + 0x08, sizeOfImage - PAGE, true); // VirtualSize
  view.setUint32(section + 0x0c, PAGE, true); // VirtualAddress
  view.setUint32(section + 0x10, sizeOfImage - PAGE, true); // SizeOfRawData
  view.setUint32(section + 0x14, PAGE, true); // PointerToRawData
  view.setUint32(section + 0x24, 0x60000020, true); // code | execute | read
}

/** x86: `mov edi,edi; push ebp; mov ebp,esp; pop ebp; ret`, the hot-patchable prologue that some
 *  code checks for; x64: `ret`. Padded with int3. */
function writeStub(image: Uint8Array, rva: number, bits: Bits): void {
  const body = bits === 64 ? [0xc3] : [0x8b, 0xff, 0x55, 0x8b, 0xec, 0x5d, 0xc3];
  image.fill(0xcc, rva, rva + STUB_SIZE);
  image.set(body, rva);
}

function writeAscii(image: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) image[offset + i] = text.charCodeAt(i) & 0xff;
  image[offset + text.length] = 0;
}
