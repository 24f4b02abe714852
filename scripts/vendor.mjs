// Copies the pinned browser builds from node_modules/ into client/vendor/.
// Run `npm install && npm run vendor` after changing a version in package.json.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

const files = [
  ["idb/build/index.js", "idb.js"],
  ["lit-html/lit-html.js", "lit-html.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
];
// uPlot publishes its minified build as a script that sets `var uPlot` (there is no minified ES
// module in the package): in a module that variable is local, so exporting it makes the module.
const modules = [["uplot/dist/uPlot.iife.min.js", "uPlot.min.js", "\nexport default uPlot;\n"]];
// axe-core is used by the browser tests only and never shipped to phones.
const testFiles = [["axe-core/axe.min.js", "tests/e2e/axe.min.js"]];
mkdirSync("client/vendor", { recursive: true });
for (const [from, to] of files) {
  copyFileSync(`node_modules/${from}`, `client/vendor/${to}`);
}
for (const [from, to, tail] of modules) {
  writeFileSync(`client/vendor/${to}`, readFileSync(`node_modules/${from}`, "utf8") + tail);
}
for (const [from, to] of testFiles) {
  copyFileSync(`node_modules/${from}`, to);
}
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
console.log("vendored", { ...pkg.dependencies, ...pkg.devDependencies });
