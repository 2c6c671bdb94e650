// Empties the package's dist/ before tsc writes it, so a file removed from src/ (or an old source map)
// is never packed.
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
