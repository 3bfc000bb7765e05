// A reader for the part of ONNX's protobuf a dense-network engine needs: nodes, initializers, inputs, outputs.
//
// Why not onnx-proto (which model-export uses): its generated decoder would add ~330 KB of JavaScript to a
// worker already near its upload budget, to read a handful of fields. This reads protobuf's wire format for
// exactly those fields and skips the rest; core/kernel/onnx-reader.test.ts checks it against onnx-proto.

/** A node of the graph: its operator and the names it reads and writes. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer and float attributes by name (others are recorded as NaN so their presence is still known). */
  attributes: Map<string, number>;
}

/** A constant tensor stored in the model. `data` is null for element types other than float32 or for external data. */
export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array | null;
}

/** A graph input or output: its name, element type and shape (a number per fixed dim, a string per symbolic one). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: (number | string)[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: Map<string, OnnxInitializer>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** ONNX TensorProto.DataType.FLOAT. */
export const ONNX_FLOAT = 1;

/** Thrown when the bytes are not a well-formed protobuf of the shape ONNX describes. */
export class OnnxFormatError extends Error {
  override readonly name = "OnnxFormatError";
}

/** Reads the graph of an ONNX model; throws OnnxFormatError on bytes that are not protobuf or hold no graph. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  let graph: OnnxGraph | null = null;
  forEachField(bytes, (field, wire, r) => {
    if (field === 7 && wire === LEN) graph = readGraph(r.bytes());
    else r.skip(wire);
  });
  if (!graph) throw new OnnxFormatError("no graph in the model");
  return graph;
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /**
   * A varint as a JS number, read as two 32-bit halves (as int64): exact up to 2^53 either side of zero, which
   * covers every dim, enum and attribute ONNX rankers use; negative int64s (axis = -1) arrive as ten bytes.
   */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new OnnxFormatError("truncated varint");
      const b = this.buf[this.pos++] as number;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        lo >>>= 0;
        hi >>>= 0;
        if (hi & 0x80000000) {
          // Two's complement: negate both halves, carrying from the low one.
          const nlo = (~lo + 1) >>> 0;
          const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
          return -(nhi * 2 ** 32 + nlo);
        }
        return hi * 2 ** 32 + lo;
      }
    }
    throw new OnnxFormatError("varint longer than 10 bytes");
  }

  bytes(): Uint8Array {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new OnnxFormatError("field runs past the end of its message");
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  float(): number {
    if (this.pos + 4 > this.buf.length) throw new OnnxFormatError("truncated float");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === I64) this.pos += 8;
    else if (wire === LEN) this.bytes();
    else if (wire === I32) this.pos += 4;
    else throw new OnnxFormatError(`unknown wire type ${wire}`);
    if (this.pos > this.buf.length) throw new OnnxFormatError("field runs past the end of its message");
  }
}

const utf8 = new TextDecoder();

function forEachField(buf: Uint8Array, visit: (field: number, wire: number, r: Reader) => void): void {
  const r = new Reader(buf);
  while (!r.done) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    if (field === 0) throw new OnnxFormatError("field number 0");
    visit(field, key & 7, r);
  }
}

function readGraph(buf: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { nodes: [], initializers: new Map(), inputs: [], outputs: [] };
  forEachField(buf, (field, wire, r) => {
    if (wire !== LEN) return r.skip(wire);
    if (field === 1) graph.nodes.push(readNode(r.bytes()));
    else if (field === 5) {
      const t = readTensor(r.bytes());
      graph.initializers.set(t.name, t);
    } else if (field === 11) graph.inputs.push(readValueInfo(r.bytes()));
    else if (field === 12) graph.outputs.push(readValueInfo(r.bytes()));
    else r.skip(wire);
  });
  return graph;
}

function readNode(buf: Uint8Array): OnnxNode {
  const node: OnnxNode = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: new Map() };
  forEachField(buf, (field, wire, r) => {
    if (wire !== LEN) return r.skip(wire);
    if (field === 1) node.inputs.push(r.string());
    else if (field === 2) node.outputs.push(r.string());
    else if (field === 3) node.name = r.string();
    else if (field === 4) node.opType = r.string();
    else if (field === 5) {
      const [name, value] = readAttribute(r.bytes());
      node.attributes.set(name, value);
    } else if (field === 7) node.domain = r.string();
    else r.skip(wire);
  });
  return node;
}

function readAttribute(buf: Uint8Array): [string, number] {
  let name = "";
  let value = Number.NaN;
  forEachField(buf, (field, wire, r) => {
    if (field === 1 && wire === LEN) name = r.string();
    else if (field === 2 && wire === I32) value = r.float();
    else if (field === 3 && wire === VARINT) value = r.varint();
    else r.skip(wire);
  });
  return [name, value];
}

function readTensor(buf: Uint8Array): OnnxInitializer {
  const t = { name: "", dims: [] as number[], dataType: 0 };
  const floats: number[] = [];
  let raw: Uint8Array | null = null;
  let external = false;
  forEachField(buf, (field, wire, r) => {
    if (field === 1 && wire === VARINT) t.dims.push(r.varint());
    else if (field === 1 && wire === LEN) {
      const packed = new Reader(r.bytes());
      while (!packed.done) t.dims.push(packed.varint());
    } else if (field === 2 && wire === VARINT) t.dataType = r.varint();
    else if (field === 4 && wire === I32) floats.push(r.float());
    else if (field === 4 && wire === LEN) {
      const packed = new Reader(r.bytes());
      while (!packed.done) floats.push(packed.float());
    } else if (field === 8 && wire === LEN) t.name = r.string();
    else if (field === 9 && wire === LEN) raw = r.bytes();
    else if (field === 13 && wire === LEN) {
      external = true;
      r.skip(wire);
    } else if (field === 14 && wire === VARINT) external = r.varint() === 1 || external;
    else r.skip(wire);
  });
  let data: Float32Array | null = null;
  if (t.dataType === ONNX_FLOAT && !external) {
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (raw !== null) {
      const bytes: Uint8Array = raw;
      if (bytes.length !== count * 4) {
        throw new OnnxFormatError(`initializer "${t.name}": ${bytes.length} raw bytes for ${count} floats`);
      }
      data = new Float32Array(count);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, true);
    } else {
      if (floats.length !== count) {
        throw new OnnxFormatError(`initializer "${t.name}": ${floats.length} floats for dims [${t.dims.join(", ")}]`);
      }
      data = Float32Array.from(floats);
    }
  }
  return { ...t, data };
}

function readValueInfo(buf: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: "", elemType: 0, dims: [] };
  forEachField(buf, (field, wire, r) => {
    if (field === 1 && wire === LEN) info.name = r.string();
    else if (field === 2 && wire === LEN) readType(r.bytes(), info);
    else r.skip(wire);
  });
  return info;
}

function readType(buf: Uint8Array, info: OnnxValueInfo): void {
  forEachField(buf, (field, wire, r) => {
    if (field !== 1 || wire !== LEN) return r.skip(wire);
    // TypeProto.tensor_type: elem_type (1) and shape (2).
    forEachField(r.bytes(), (f, w, t) => {
      if (f === 1 && w === VARINT) info.elemType = t.varint();
      else if (f === 2 && w === LEN) {
        forEachField(t.bytes(), (sf, sw, s) => {
          if (sf !== 1 || sw !== LEN) return s.skip(sw);
          let dim: number | string = "?";
          forEachField(s.bytes(), (df, dw, d) => {
            if (df === 1 && dw === VARINT) dim = d.varint();
            else if (df === 2 && dw === LEN) dim = d.string();
            else d.skip(dw);
          });
          info.dims.push(dim);
        });
      } else t.skip(w);
    });
  });
}
