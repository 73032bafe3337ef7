// Builds a JavaScript Paddock plugin into a WebAssembly component with
// componentize-js. `paddock bundle` runs this (it stages the plugin's sources
// together with paddock-guest.js first); you can also run it by hand:
//
//   node guest-sdk/js/build.mjs TOOLCHAIN_DIR SOURCE_DIR WIT_DIR OUT.wasm
//
// TOOLCHAIN_DIR  holds node_modules/@bytecodealliance/componentize-js
//                (target/toolchains/js after scripts/install-guest-toolchains.sh)
// SOURCE_DIR     holds plugin.js and paddock-guest.js (and any modules they import)
// WIT_DIR        Paddock's wit/ directory
// OUT.wasm       the component to write

import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [toolchainArg, sourceArg, witArg, outArg] = process.argv.slice(2);
if (!outArg) {
  console.error("usage: node build.mjs TOOLCHAIN_DIR SOURCE_DIR WIT_DIR OUT.wasm");
  process.exit(2);
}
const toolchain = resolve(toolchainArg);
const sourceDir = resolve(sourceArg);
const witDir = resolve(witArg);
const out = resolve(outArg);

const modules = join(toolchain, "node_modules", "@bytecodealliance");
const componentizePath = join(modules, "componentize-js", "src", "componentize.js");
const shimPath = join(modules, "preview2-shim", "dist", "nodejs", "filesystem.js");
for (const needed of [componentizePath, shimPath]) {
  if (!existsSync(needed)) {
    console.error(
      `componentize-js is not installed in ${toolchain} (missing ${needed}); run \`bash scripts/install-guest-toolchains.sh\` in the Paddock checkout`,
    );
    process.exit(3);
  }
}
const entry = join(sourceDir, "plugin.js");
if (!existsSync(entry)) {
  console.error(`no plugin.js in ${sourceDir}; a JavaScript plugin's entry module is plugin.js, exporting \`hooks\``);
  process.exit(2);
}

const { componentize } = await import(pathToFileURL(componentizePath).href);
// componentize-js reads the WIT through the WASI shim, whose 0.26 releases
// grant no filesystem by default: open exactly the WIT directory.
const { _setPreopens } = await import(pathToFileURL(shimPath).href);
_setPreopens({ [witDir]: witDir });

// componentize-js maps the working directory into the engine when the source
// lies inside it, so relative imports (./paddock-guest.js) resolve there.
process.chdir(sourceDir);
const started = Date.now();
const { component } = await componentize({
  sourcePath: entry,
  witPath: witDir,
  worldName: "plugin",
  // Plugins get no network: leave fetch() and the HTTP handler out. stdio
  // stays so uncaught errors reach the host's captured console; clocks and
  // random are granted by the host's WASI context.
  disableFeatures: ["http", "fetch-event"],
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, component);
console.error(`componentize-js: wrote ${out} (${component.length} bytes) in ${Date.now() - started} ms`);
