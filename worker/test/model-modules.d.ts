// Module types for the ONNX test fixtures: `.onnx` files load as ArrayBuffers (wrangler "Data" rule).
declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}

declare module "*.golden.json" {
  const golden: {
    model: string;
    inputs: Record<string, { type: "float32"; dims: number[]; data: number[] }>;
    output: { name: string; dims: number[]; data: number[] };
  };
  export default golden;
}
