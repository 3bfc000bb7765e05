// Values global-setup.ts provides to the workerd tests.
declare module "vitest" {
  interface ProvidedContext {
    model: { onnxBase64: string; manifestJson: string };
    nanModel: { onnxBase64: string; manifestJson: string };
  }
}

export {};
