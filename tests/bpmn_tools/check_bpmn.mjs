// Read BPMN files with bpmn-moddle (the parser bpmn.io uses) and print, per file, the import error, the warnings,
// and how many diagram shapes and edges it found, as JSON. Run by tests/processes/test_bpmn_diagram.py with
// BPMN_MODDLE_DIR pointing at an `npm install --prefix` directory holding bpmn-moddle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.BPMN_MODDLE_DIR;
const { BpmnModdle } = await import(
  pathToFileURL(join(dir, "node_modules", "bpmn-moddle", "dist", "index.js")).href);
const moddle = new BpmnModdle();
const report = {};
for (const file of process.argv.slice(2)) {
  const entry = { error: null, warnings: [], shapes: 0, edges: 0 };
  try {
    const { rootElement, warnings } = await moddle.fromXML(readFileSync(file, "utf8"));
    entry.warnings = warnings.map((w) => w.message);
    for (const diagram of rootElement.diagrams || []) {
      for (const el of diagram.plane.planeElement || []) {
        if (el.$type === "bpmndi:BPMNShape" && el.bpmnElement) entry.shapes += 1;
        if (el.$type === "bpmndi:BPMNEdge" && el.bpmnElement) entry.edges += 1;
      }
    }
  } catch (err) {
    entry.error = String(err && err.message ? err.message : err);
  }
  report[file] = entry;
}
process.stdout.write(JSON.stringify(report));
