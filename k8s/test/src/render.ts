// Discovers every kustomization under k8s/ and renders it with a given kubectl.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

export const K8S_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Folders holding a kustomization.yaml, relative to k8s/ (e.g. "overlays/dev"), sorted. */
export function kustomizationDirs(root = K8S_DIR): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (existsSync(path.join(dir, "kustomization.yaml"))) out.push(path.relative(root, dir));
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && !["node_modules", "test", ".tools"].includes(entry.name)) walk(path.join(dir, entry.name));
    }
  };
  walk(root);
  return out.sort();
}

/** `kubectl kustomize <k8s/dir>`, parsed into objects. Throws with kubectl's message on failure. */
export function render(kubectl: string, dir: string): K8sObject[] {
  const yamlText = execFileSync(kubectl, ["kustomize", path.join(K8S_DIR, dir)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseAllDocuments(yamlText)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export const objectId = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? "-"}/${o.metadata.name}`;
