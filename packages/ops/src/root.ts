import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root (packages/ops/src or, built, packages/ops/dist, is three levels down). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
