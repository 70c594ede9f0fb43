/**
 * A hand-written protobuf encoder for tests (no dependency): enough to build a message with varint,
 * string and bytes fields, as a Go or Java producer would put in a stream field.
 */

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A field of a message: a varint (wire type 0) or length-delimited bytes (wire type 2). */
export type ProtoField = { field: number; varint: number } | { field: number; bytes: Buffer | string };

/** Encodes fields in order (wire format; strings as UTF-8). */
export function encodeProto(fields: ProtoField[]): Buffer {
  const out: number[] = [];
  for (const f of fields) {
    if ('varint' in f) {
      out.push(...varint((f.field << 3) | 0), ...varint(f.varint));
    } else {
      const bytes = typeof f.bytes === 'string' ? Buffer.from(f.bytes, 'utf8') : f.bytes;
      out.push(...varint((f.field << 3) | 2), ...varint(bytes.length), ...bytes);
    }
  }
  return Buffer.from(out);
}

/** `Order { id: 150, name: "héllo", blob: ff 00 80 }`: bytes that are not valid UTF-8. */
export const ORDER_PROTO = encodeProto([
  { field: 1, varint: 150 },
  { field: 2, bytes: 'héllo' },
  { field: 3, bytes: Buffer.from([0xff, 0x00, 0x80]) },
]);

/** Not UTF-8 at all: `\xff\xfe\x80abc`. */
export const INVALID_UTF8 = Buffer.from([0xff, 0xfe, 0x80, 0x61, 0x62, 0x63]);
