// Checks that each package README includes its examples verbatim: a line
// `<!-- example: examples/<file> -->` followed by a fenced block equal to that file.
// `--write` rewrites the blocks from the files instead.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const write = process.argv.includes("--write");
const MARKER = /<!-- example: (examples\/[\w./-]+) -->\n```(\w+)\n([\s\S]*?)```\n/g;
let problems = 0;
let checked = 0;
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    const examples = join(dir, "examples");
    if (!existsSync(examples)) continue;
    const readmePath = join(dir, "README.md");
    const readme = readFileSync(readmePath, "utf8");
    const included = new Set();
    const updated = readme.replace(MARKER, (block, file, lang, body) => {
      included.add(file);
      const path = join(dir, file);
      if (!existsSync(path)) {
        console.error(`${readmePath}: ${file} does not exist`);
        problems++;
        return block;
      }
      const source = readFileSync(path, "utf8");
      checked++;
      if (source === body) return block;
      if (!write) {
        console.error(
          `${readmePath}: the block after "example: ${file}" differs from the file (run node scripts/check-examples.mjs --write)`,
        );
        problems++;
      }
      return `<!-- example: ${file} -->\n\`\`\`${lang}\n${source}\`\`\`\n`;
    });
    for (const file of readdirSync(examples)) {
      if (!included.has(`examples/${file}`)) {
        console.error(
          `${readmePath}: examples/${file} is not included (add <!-- example: examples/${file} --> before its block)`,
        );
        problems++;
      }
    }
    if (write && updated !== readme) writeFileSync(readmePath, updated);
  }
}
console.log(`${checked} README examples checked, ${problems} problems`);
if (problems > 0) process.exitCode = 1;
