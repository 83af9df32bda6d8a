/**
 * The activation properties of ISystemActivator::RemoteCreateInstance (MS-DCOM §2.2.22): an
 * MInterfacePointer holding an OBJREF_CUSTOM whose data is a blob with a CustomHeader that declares
 * the blob's total size, its header size and each property's size. RPCSS sized its copies by those
 * declarations (MS03-039, CVE-2003-0715), so the check compares them with the bytes that came.
 */
import { NdrReader } from '../ndr-reader.ts';

const OBJREF_SIGNATURE = 0x574f454d; // "MEOW"
const OBJREF_CUSTOM = 4;

export interface PropertySizeMismatch {
  declared: number;
  carried: number;
  what: string;
}

/** The first declared size the blob does not back up, or null (also null when the stub is not this shape). */
export function findActivationSizeMismatch(stub: Uint8Array, littleEndian: boolean): PropertySizeMismatch | null {
  const reader = new NdrReader(stub, littleEndian);
  reader.skip(4 + 4 + 4 + 16); // ORPCTHIS: version, flags, reserved1, causality id
  if (reader.pointer() !== 0) return null; // extensions: not this check's concern
  if (reader.pointer() !== 0) {
    // pUnkOuter: an aggregating outer object, skipped whole
    reader.u32();
    reader.conformantBytes();
  }
  if (reader.pointer() === 0) return null;
  reader.u32(); // ulCntData
  const objref = reader.conformantBytes();
  if (reader.overrun) return null;
  const blobReader = new NdrReader(objref, true);
  if (blobReader.u32() !== OBJREF_SIGNATURE || blobReader.u32() !== OBJREF_CUSTOM) return null;
  blobReader.skip(16 + 16); // iid, clsid
  blobReader.u32(); // cbExtension
  blobReader.u32(); // size
  const blobStart = blobReader.offset;
  const declaredBlob = blobReader.u32();
  blobReader.u32(); // reserved
  const carriedBlob = objref.length - blobStart - 8;
  if (blobReader.overrun) return null;
  if (declaredBlob > carriedBlob) return { declared: declaredBlob, carried: carriedBlob, what: 'activation blob size' };
  return checkCustomHeader(objref.subarray(blobStart + 8), declaredBlob);
}

function checkCustomHeader(blob: Uint8Array, declaredBlob: number): PropertySizeMismatch | null {
  const reader = new NdrReader(blob, (blob[1] ?? 0x10) === 0x10);
  reader.skip(8 + 8); // common and private type-serialisation headers
  const totalSize = reader.u32();
  const headerSize = reader.u32();
  reader.u32();
  reader.u32(); // destination context
  const interfaceCount = reader.u32();
  reader.skip(16);
  reader.pointer();
  const sizesPointer = reader.pointer();
  reader.pointer();
  const clsidCount = reader.u32();
  reader.skip(Math.min(clsidCount, 64) * 16);
  const sizeCount = sizesPointer !== 0 ? reader.u32() : 0;
  let propertyBytes = 0;
  for (let index = 0; index < Math.min(sizeCount, 64); index++) propertyBytes += reader.u32();
  if (reader.overrun) return null;
  if (totalSize > declaredBlob) return { declared: totalSize, carried: declaredBlob, what: 'CustomHeader totalSize' };
  if (clsidCount !== interfaceCount || (sizesPointer !== 0 && sizeCount !== interfaceCount)) {
    return { declared: interfaceCount, carried: clsidCount, what: 'property count' };
  }
  if (sizesPointer !== 0 && headerSize + propertyBytes > totalSize) {
    return { declared: headerSize + propertyBytes, carried: totalSize, what: 'property sizes' };
  }
  return null;
}
