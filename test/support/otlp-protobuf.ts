import { ProtobufReader } from '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-reader.js';

/**
 * Decodes an OTLP ExportLogsServiceRequest (opentelemetry/proto/collector/logs/v1/logs_service.proto) back into the
 * OTLP JSON mapping's shape (hex ids, decimal-string nanoseconds), field by field from the .proto numbers, so a test
 * can compare the protobuf body with the JSON one. The package's own minimal reader does the varints and lengths;
 * fixed64/fixed32, which it skips, are read here.
 */
export function decodeLogsRequest(bytes: Uint8Array) {
  return { resourceLogs: repeated(bytes, 1, resourceLogs) };
}

type Fields = Map<number, { wireType: number; value: number | bigint | Uint8Array }[]>;

function fields(bytes: Uint8Array): Fields {
  const reader = new ProtobufReader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Fields = new Map();
  while (!reader.isAtEnd()) {
    const { fieldNumber, wireType } = reader.readTag();
    let value: number | bigint | Uint8Array;
    if (wireType === 0) value = reader.readVarint();
    else if (wireType === 2) value = reader.readBytes();
    else if (wireType === 1) {
      value = view.getBigUint64(reader.pos, true);
      reader.pos += 8;
    } else if (wireType === 5) {
      value = view.getUint32(reader.pos, true);
      reader.pos += 4;
    } else throw new Error(`unexpected wire type ${wireType}`);
    out.set(fieldNumber, [...(out.get(fieldNumber) ?? []), { wireType, value }]);
  }
  return out;
}

const one = (f: Fields, n: number) => f.get(n)?.[0]?.value;
const text = (f: Fields, n: number) => {
  const v = one(f, n);
  return v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined;
};
const hex = (f: Fields, n: number) => {
  const v = one(f, n);
  return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : undefined;
};
function repeated<T>(bytes: Uint8Array, n: number, decode: (bytes: Uint8Array) => T): T[] {
  return (fields(bytes).get(n) ?? []).map((entry) => decode(entry.value as Uint8Array));
}

function anyValue(bytes: Uint8Array): unknown {
  const f = fields(bytes);
  if (f.has(1)) return { stringValue: text(f, 1) };
  if (f.has(2)) return { boolValue: one(f, 2) === 1 };
  if (f.has(3)) return { intValue: String(one(f, 3)) };
  if (f.has(4)) {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, one(f, 4) as bigint, true);
    return { doubleValue: view.getFloat64(0, true) };
  }
  if (f.has(5)) return { arrayValue: { values: repeated(one(f, 5) as Uint8Array, 1, anyValue) } };
  if (f.has(6)) return { kvlistValue: { values: repeated(one(f, 6) as Uint8Array, 1, keyValue) } };
  return {};
}

function keyValue(bytes: Uint8Array) {
  const f = fields(bytes);
  return { key: text(f, 1), value: anyValue((one(f, 2) as Uint8Array | undefined) ?? new Uint8Array()) };
}

function logRecord(bytes: Uint8Array) {
  const f = fields(bytes);
  return {
    timeUnixNano: String(one(f, 1)),
    observedTimeUnixNano: String(one(f, 11)),
    severityNumber: one(f, 2),
    severityText: text(f, 3),
    body: anyValue(one(f, 5) as Uint8Array),
    eventName: text(f, 12),
    attributes: repeated(bytes, 6, keyValue),
    traceId: hex(f, 9),
    spanId: hex(f, 10),
  };
}

function resourceLogs(bytes: Uint8Array) {
  const f = fields(bytes);
  return {
    resource: { attributes: repeated(one(f, 1) as Uint8Array, 1, keyValue) },
    scopeLogs: repeated(bytes, 2, (scope) => {
      const s = fields(scope);
      const name = fields(one(s, 1) as Uint8Array);
      return { scope: { name: text(name, 1), version: text(name, 2) }, logRecords: repeated(scope, 2, logRecord) };
    }),
  };
}
