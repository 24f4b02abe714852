// Copies the pinned browser builds from node_modules/ into client/vendor/.
// Run `npm install && npm run vendor` after changing a version in package.json.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";

const files = [
  ["idb/build/index.js", "idb.js"],
  ["lit-html/lit-html.js", "lit-html.js"],
  ["uplot/dist/uPlot.esm.js", "uPlot.esm.js"],
  ["uplot/dist/uPlot.min.css", "uPlot.min.css"],
];
// axe-core is used by the browser tests only and never shipped to phones.
const testFiles = [["axe-core/axe.min.js", "tests/e2e/axe.min.js"]];
mkdirSync("client/vendor", { recursive: true });
for (const [from, to] of files) {
  copyFileSync(`node_modules/${from}`, `client/vendor/${to}`);
}
for (const [from, to] of testFiles) {
  copyFileSync(`node_modules/${from}`, to);
}
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
console.log("vendored", { ...pkg.dependencies, ...pkg.devDependencies });
