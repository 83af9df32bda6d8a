/**
 * Fake kernel-mode PE32+ images (ntoskrnl.exe, hal.dll, srv.sys …): real headers, named sections
 * and an export directory with the real export names, so payloads that walk back from a kernel
 * address to 'MZ', parse the section table (".data") and resolve exports by hash find what they
 * look for. Nothing here knows any payload's bytes.
 */
const PE_OFFSET = 0xe8;
const OPTIONAL_HEADER_SIZE = 0xf0;
const PAGE = 0x1000;

export interface KernelSectionSpec {
  name: string;
  rva: number;
  size: number;
  /** IMAGE_SCN_* characteristics */
  characteristics: number;
}

export interface KernelImageSpec {
  /** file name, `ntoskrnl.exe` */
  name: string;
  sizeOfImage: number;
  sections: KernelSectionSpec[];
  /** export name → rva (functions and data) */
  exports: ReadonlyMap<string, number>;
  /** where the export directory goes (inside a read-only section) */
  exportDirectoryRva?: number;
}

export const SCN_CODE = 0x60000020; // code | execute | read
export const SCN_DATA = 0xc0000040; // initialized data | read | write
export const SCN_RDATA = 0x40000040; // initialized data | read

/** The image bytes; the caller maps them at its base. */
export function buildKernelImage(spec: KernelImageSpec): Uint8Array {
  const image = new Uint8Array(spec.sizeOfImage);
  const view = new DataView(image.buffer);
  view.setUint16(0, 0x5a4d, true); // "MZ"
  view.setUint32(0x3c, PE_OFFSET, true);
  view.setUint32(PE_OFFSET, 0x00004550, true); // "PE\0\0"
  const fileHeader = PE_OFFSET + 4;
  view.setUint16(fileHeader + 0x00, 0x8664, true);
  view.setUint16(fileHeader + 0x02, spec.sections.length, true);
  view.setUint32(fileHeader + 0x04, 0x4ce7979d, true); // TimeDateStamp: Win7 SP1 era
  view.setUint16(fileHeader + 0x10, OPTIONAL_HEADER_SIZE, true);
  view.setUint16(fileHeader + 0x12, 0x0022, true); // executable | large address aware
  const optional = fileHeader + 20;
  view.setUint16(optional + 0x00, 0x020b, true); // PE32+
  view.setUint32(optional + 0x20, PAGE, true); // SectionAlignment
  view.setUint32(optional + 0x24, 0x200, true); // FileAlignment
  view.setUint16(optional + 0x28, 6, true);
  view.setUint16(optional + 0x2a, 1, true);
  view.setUint16(optional + 0x30, 6, true);
  view.setUint16(optional + 0x32, 1, true);
  view.setUint32(optional + 0x38, spec.sizeOfImage, true);
  view.setUint32(optional + 0x3c, 0x400, true); // SizeOfHeaders
  view.setUint16(optional + 0x44, 1, true); // Subsystem: native
  view.setUint32(optional + 0x6c, 16, true); // NumberOfRvaAndSizes
  const dataDirectory = optional + 0x70;
  let section = optional + OPTIONAL_HEADER_SIZE;
  for (const entry of spec.sections) {
    writeAscii(image, section, entry.name.slice(0, 8));
    view.setUint32(section + 0x08, entry.size, true);
    view.setUint32(section + 0x0c, entry.rva, true);
    view.setUint32(section + 0x10, entry.size, true);
    view.setUint32(section + 0x14, entry.rva, true);
    view.setUint32(section + 0x24, entry.characteristics, true);
    if (entry.characteristics === SCN_CODE) image.fill(0xcc, entry.rva, entry.rva + entry.size);
    section += 0x28;
  }
  if (spec.exports.size > 0) {
    const directoryRva = spec.exportDirectoryRva ?? PAGE;
    const size = writeExportDirectory(image, view, spec.name, spec.exports, directoryRva);
    view.setUint32(dataDirectory, directoryRva, true);
    view.setUint32(dataDirectory + 4, size, true);
  }
  return image;
}

/** IMAGE_EXPORT_DIRECTORY with names sorted (the loader's binary search order); returns its size. */
function writeExportDirectory(image: Uint8Array, view: DataView, dllName: string, exports: ReadonlyMap<string, number>, directory: number): number {
  const names = [...exports.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const functions = directory + 40;
  const nameTable = functions + names.length * 4;
  const ordinals = nameTable + names.length * 4;
  let strings = ordinals + names.length * 2;
  view.setUint32(directory + 0x0c, strings, true);
  writeAscii(image, strings, dllName);
  strings += dllName.length + 1;
  view.setUint32(directory + 0x10, 1, true); // ordinal base
  view.setUint32(directory + 0x14, names.length, true);
  view.setUint32(directory + 0x18, names.length, true);
  view.setUint32(directory + 0x1c, functions, true);
  view.setUint32(directory + 0x20, nameTable, true);
  view.setUint32(directory + 0x24, ordinals, true);
  names.forEach((name, index) => {
    view.setUint32(functions + index * 4, exports.get(name)!, true);
    view.setUint32(nameTable + index * 4, strings, true);
    view.setUint16(ordinals + index * 2, index, true);
    writeAscii(image, strings, name);
    strings += name.length + 1;
  });
  return strings - directory;
}

export function writeAscii(image: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < text.length; i++) image[offset + i] = text.charCodeAt(i) & 0xff;
  image[offset + text.length] = 0;
}
