// Test helper: makes a zip lie about one entry's uncompressed size (a crafted zip bomb) by
// rewriting that field in the entry's central-directory record and local header.
const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;

export function patchZipEntrySize(zip: Buffer, entryName: string, fakeSize: number): Buffer {
  const out = Buffer.from(zip);
  const name = Buffer.from(entryName, 'utf8');
  let patched = 0;
  for (let at = 0; at + 46 <= out.length; at++) {
    const signature = out.readUInt32LE(at);
    if (
      signature === CENTRAL_HEADER &&
      out.subarray(at + 46, at + 46 + name.length).equals(name) &&
      out.readUInt16LE(at + 28) === name.length
    ) {
      out.writeUInt32LE(fakeSize, at + 24);
      patched++;
    } else if (
      signature === LOCAL_HEADER &&
      out.subarray(at + 30, at + 30 + name.length).equals(name) &&
      out.readUInt16LE(at + 26) === name.length
    ) {
      if (out.readUInt32LE(at + 22) !== 0) out.writeUInt32LE(fakeSize, at + 22);
      patched++;
    }
  }
  if (patched < 2) throw new Error(`zip entry ${entryName} not found (patched ${patched} headers)`);
  return out;
}
