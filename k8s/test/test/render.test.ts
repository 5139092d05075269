// Every kustomization under k8s/ renders with a current kubectl and with kubectl 1.20, both give
// the same objects, and every object validates against its schema (kubernetes-models, KEDA,
// Prometheus Operator). A renderer that cannot be found skips its suite, saying how to get it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { currentKubectl, kubectl120, type Renderer } from "../src/kubectl.js";
import { kustomizationDirs, objectId, render, type K8sObject } from "../src/render.js";
import { validateObject } from "../src/schemas.js";

const DIRS = kustomizationDirs();
const RENDERERS = [currentKubectl(), kubectl120()];
const rendered = new Map<string, K8sObject[]>();

test("render - k8s/ holds the base and the dev, gpu and autoscale overlays", () => {
  for (const dir of ["base", "overlays/dev", "overlays/gpu", "overlays/autoscale"]) assert.ok(DIRS.includes(dir), `${dir} missing from ${DIRS.join(", ")}`);
});

for (const r of RENDERERS) {
  describe(`render with kubectl ${r.label}`, { skip: r.bin === null ? r.missing : false }, () => {
    for (const dir of DIRS) {
      test(`render - ${dir} renders with kubectl ${r.version} and every object validates`, async () => {
        const objects = render(r.bin!, dir);
        rendered.set(`${r.label}:${dir}`, objects);
        assert.ok(objects.length > 0, `${dir} rendered nothing`);
        const problems: string[] = [];
        for (const o of objects) await validateObject(o).catch((err: Error) => problems.push(err.message));
        assert.deepEqual(problems, []);
      });
    }
  });
}

const both = (rs: Renderer[]) => rs.every((r) => r.bin !== null);
test("render - kubectl 1.20 and the current kubectl render the same objects", { skip: both(RENDERERS) ? false : "needs both renderers" }, () => {
  for (const dir of DIRS) {
    // ConfigMap hash suffixes differ between kustomize releases; compare names without them.
    const ids = (label: string) =>
      (rendered.get(`${label}:${dir}`) ?? render(RENDERERS.find((r) => r.label === label)!.bin!, dir))
        .map((o) => objectId(o).replace(/-[a-z0-9]{10}$/, ""))
        .sort();
    assert.deepEqual(ids("1.20"), ids("current"), dir);
  }
});
