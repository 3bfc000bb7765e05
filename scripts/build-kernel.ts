// `npm run build:kernel`: assembles core/kernel/dense.wat into dense.wasm, the file the worker and Node load.
// The .wasm is committed so a fresh clone, `wrangler dev` and `wrangler deploy` need no build step;
// model-export/src/kernel.test.ts fails when it no longer matches the .wat.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { assembleKernel, KERNEL_WASM, KERNEL_WAT } from "../model-export/src/kernel.js";

const bytes = await assembleKernel(readFileSync(KERNEL_WAT, "utf8"));
const tmp = `${KERNEL_WASM.pathname}.tmp`;
writeFileSync(tmp, bytes);
renameSync(tmp, KERNEL_WASM);
process.stdout.write(`wrote ${KERNEL_WASM.pathname} (${bytes.length} bytes)\n`);
