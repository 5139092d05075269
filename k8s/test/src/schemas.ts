// Offline validation of rendered objects against the Kubernetes and CRD schemas that
// kubernetes-models ships (types, enums, required fields; it does not flag unknown fields).
// A kind no package here models fails: an object nobody can check must not slip through.
import type { K8sObject } from "./render.js";

/** API group -> the package that models it (core and *.k8s.io groups: kubernetes-models). */
const CRD_PACKAGES: Readonly<Record<string, string>> = {
  "keda.sh": "@kubernetes-models/keda",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};
const BUILT_IN_GROUPS = new Set(["", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io"]);

type Model = new (data: unknown) => { validate(): void };

function modulePath(apiVersion: string, kind: string): string | null {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (BUILT_IN_GROUPS.has(group!)) return `kubernetes-models/${group === "" ? "" : `${group}/`}${version}/${kind}`;
  const pkg = CRD_PACKAGES[group!];
  return pkg ? `${pkg}/${group}/${version}/${kind}` : null;
}

/** Throws naming the object and the first problems when it is invalid or of an unknown kind. */
export async function validateObject(o: K8sObject): Promise<void> {
  const id = `${o.kind} ${o.metadata?.name ?? "(unnamed)"} (${o.apiVersion})`;
  const spec = modulePath(o.apiVersion, o.kind);
  if (spec === null) throw new Error(`${id}: no schema package models API group of ${o.apiVersion}`);
  let Kind: Model | undefined;
  try {
    Kind = ((await import(spec)) as Record<string, Model>)[o.kind];
  } catch (err) {
    throw new Error(`${id}: unknown kind (no ${spec}: ${(err as Error).message})`);
  }
  if (Kind === undefined) throw new Error(`${id}: unknown kind (${spec} exports no ${o.kind})`);
  try {
    new Kind(o).validate();
  } catch (err) {
    throw new Error(`${id}: ${(err as Error).message}`);
  }
}
