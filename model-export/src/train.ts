// Kept for `npm run model:train`: the same as `npm run model -- train`.
import { processIo, runCli } from "./cli.js";

process.exitCode = await runCli(["train", ...process.argv.slice(2)], processIo());
