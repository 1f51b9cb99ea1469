#!/usr/bin/env node
// solc-standard-json.js: the project's Solidity compiler, a drop-in for the native `solc`
// that py-solc-x (and so Brownie) drives. It runs solc-js, the official Emscripten build of
// the real compiler pinned in package.json, so nothing is ever downloaded at run time.
//
// Understood:
//   --version                      prints "Version: <solc-js version>" as native solc does
//   --standard-json                reads the standard JSON input on stdin, writes the output on stdout
//   --allow-paths A,B  --base-path P   directories from which imports may be read
// Every other flag is ignored (py-solc-x passes a few that only matter to native solc).
// `make setup` links this file as .toolchain/solc/solc-v<version>, the name py-solc-x looks for.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require(path.join(__dirname, "..", "node_modules", "solc"));

function parseArgs(argv) {
  const opts = { version: false, standardJson: false, roots: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--version") opts.version = true;
    else if (arg === "--standard-json") opts.standardJson = true;
    else if (arg === "--allow-paths" || arg === "--base-path" || arg === "--include-path") {
      const value = argv[i + 1] || "";
      i += 1;
      for (const p of value.split(",")) if (p) opts.roots.push(path.resolve(p));
    }
  }
  return opts;
}

function makeImportReader(roots) {
  const allowed = [process.cwd(), ...roots];
  return function readImport(importPath) {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : allowed.map((root) => path.join(root, importPath));
    for (const candidate of candidates) {
      const resolved = path.resolve(candidate);
      const inside = allowed.some((root) => resolved === root || resolved.startsWith(root + path.sep));
      if (inside && fs.existsSync(resolved) && fs.statSync(resolved).isFile()) {
        return { contents: fs.readFileSync(resolved, "utf8") };
      }
    }
    return { error: `File not found inside the allowed paths: ${importPath}` };
  };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (!opts.standardJson) {
    process.stderr.write("solc-standard-json.js: only --version and --standard-json are supported\n");
    return 2;
  }
  const input = fs.readFileSync(0, "utf8");
  const output = solc.compile(input, { import: makeImportReader(opts.roots) });
  process.stdout.write(output);
  return 0;
}

process.exitCode = main();
