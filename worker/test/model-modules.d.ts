// Module types for the ONNX test fixtures' golden outputs (`.onnx` itself is typed by `wrangler types`).
declare module "*.golden.json" {
  const golden: {
    model: string;
    inputs: Record<string, { type: "float32"; dims: number[]; data: number[] }>;
    output: { name: string; dims: number[]; data: number[] };
  };
  export default golden;
}
