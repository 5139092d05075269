// Reading rendered workloads the way the kubelet would: each container's environment with its
// ConfigMaps resolved, its ports, its probes, and which emuedit service it runs.
import { readSettings, SettingsError, type SettingSpec } from "@emuedit/service-kit";
import { gatewaySettings } from "@emuedit/gateway-service/settings";
import { textEncoderSettings } from "@emuedit/text-encoder-service/settings";
import { unetSettings } from "@emuedit/unet-service/settings";
import { vaeSettings } from "@emuedit/vae-service/settings";
import type { K8sObject } from "./render.js";

/** The settings each component reads (as scripts/settings-doc.ts lists them), by component label. */
export const SERVICE_SETTINGS: Readonly<Record<string, Record<string, SettingSpec<unknown>>>> = {
  gateway: gatewaySettings,
  "text-encoder": textEncoderSettings,
  vae: vaeSettings,
  unet: unetSettings,
};

export interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: unknown;
  failureThreshold?: number;
  periodSeconds?: number;
}

export interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
}

export interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: { containers: Container[]; terminationGracePeriodSeconds?: number };
}

export interface Workload {
  readonly object: K8sObject;
  readonly component: string;
  readonly template: PodTemplate;
}

export const COMPONENT_LABEL = "app.kubernetes.io/component";

export function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet")
    .map((o) => {
      const template = (o["spec"] as { template: PodTemplate }).template;
      return { object: o, component: template.metadata.labels[COMPONENT_LABEL] ?? "", template };
    });
}

/**
 * The variables a container gets, in the kubelet's order (envFrom, then env overriding), with
 * the ConfigMap each came from for messages. Values from fieldRef and the like are null.
 */
export function containerEnv(container: Container, objects: readonly K8sObject[]): Map<string, { value: string | null; from: string }> {
  const env = new Map<string, { value: string | null; from: string }>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name === undefined) throw new Error(`${container.name}: envFrom other than a configMapRef`);
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === name);
    if (cm === undefined) throw new Error(`${container.name}: envFrom ConfigMap ${name} is not in the render`);
    for (const [k, v] of Object.entries((cm["data"] ?? {}) as Record<string, string>)) env.set(k, { value: v, from: `ConfigMap ${name}` });
  }
  for (const e of container.env ?? []) env.set(e.name, { value: e.value ?? null, from: "env" });
  return env;
}

/** The settings a container's service runs with: its environment read by the service's own reader. */
export function effectiveSettings(
  specs: Record<string, SettingSpec<unknown>>,
  env: Map<string, { value: string | null }>,
): { values: Record<string, unknown>; problems: readonly string[] } {
  const plain: NodeJS.ProcessEnv = {};
  for (const [k, { value }] of env) if (value !== null) plain[k] = value;
  try {
    return { values: readSettings(specs, plain), problems: [] };
  } catch (err) {
    if (err instanceof SettingsError) return { values: {}, problems: err.problems };
    throw err;
  }
}
