// The system on a 3-node JetStream cluster (NATS_URL lists the three servers): buckets and the
// latent stream replicated as the settings say, a finished edit's checkpoint purged, and one
// NATS node SIGKILLed while edits run: no edit fails, the registry stays whole, the services
// reconnect to the survivors, and the restarted node rejoins every stream as a current peer.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager, StorageType, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { connectNats, kvStreamName, LATENT_STREAM, latentSubject, openTaskRegistry, TASK_BUCKET, type TaskEntry } from "@emuedit/nats";
import { createClient, EditorService, type Client } from "@emuedit/proto";
import { startNatsCluster, waitFor, type NatsClusterHandle, type NatsClusterNode } from "@emuedit/testing";
import { ACCEPT_ANY_TASK, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

// Long enough that the edits are still denoising when the node dies (~2-5 ms a step here).
const LONG_STEPS = 600;
const CONCURRENT_EDITS = 4;

let cluster: NatsClusterHandle;
let sys: RunningSystem;
let nc: NatsConnection;
let jsm: JetStreamManager;
let client: Client<typeof EditorService>;

before(async () => {
  cluster = await startNatsCluster();
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    natsUrl: cluster.url,
    onLine: () => undefined,
    env: {
      ...ACCEPT_ANY_TASK,
      EMUEDIT_NATS_REPLICAS: "3",
      EMUEDIT_LATENT_REPLICAS: "3",
      EMUEDIT_LATENT_STORAGE: "memory",
      EMUEDIT_MAX_STEPS: String(LONG_STEPS),
      // Reconnect quickly to a node that comes back (survivors are tried at once anyway).
      EMUEDIT_NATS_RECONNECT_WAIT_MS: "200",
    },
  });
  nc = await connectNats(cluster.url, { name: "e2e-observer", reconnectTimeWaitMs: 200 });
  jsm = await jetstreamManager(nc, { timeout: 10_000 });
  client = createClient(EditorService, sys.grpcAddress);
});

after(async () => {
  client?.close();
  await sys?.stop();
  await nc?.close();
  await cluster?.stop();
});

/** The names of the stream's current peers (leader included). */
function currentPeers(info: StreamInfo): string[] {
  const c = info.cluster;
  return [...(c?.leader ? [c.leader] : []), ...(c?.replicas ?? []).filter((r) => r.current && !r.offline).map((r) => r.name)];
}

/** Names of the client connections a node holds (its /connz monitoring endpoint). */
async function connectionNames(node: NatsClusterNode): Promise<string[]> {
  const connz = (await (await fetch(`http://127.0.0.1:${node.monitorPort}/connz`)).json()) as { connections?: { name?: string }[] };
  return (connz.connections ?? []).map((c) => c.name ?? "");
}

async function checkpointCount(editId: string): Promise<number> {
  const info = await jsm.streams.info(LATENT_STREAM, { subjects_filter: latentSubject(editId) });
  return info.state.subjects?.[latentSubject(editId)] ?? 0;
}

/** One streamed edit: its progress steps and its result's id. */
async function streamedEdit(instruction: string, steps: number, onProgress?: () => void): Promise<{ id: string; steps: number[]; finishedAt: number }> {
  const seen: number[] = [];
  const image = await sceneBytes();
  for await (const ev of client.editStream({ edit: { image, instruction, task: "global", steps } }, { deadlineMs: 120_000 })) {
    if (ev.event.case === "progress") {
      seen.push(ev.event.value.step);
      onProgress?.();
    }
    if (ev.event.case === "result") return { id: ev.event.value.id, steps: seen, finishedAt: Date.now() };
  }
  throw new Error("the stream ended without a result");
}

const taskSummary = (tasks: TaskEntry[]) => tasks.map((t) => [t.name, t.id, Array.from(t.embedding)]);

describe("nats cluster", () => {
  test("nats cluster - the registry bucket and the latent stream have the replicas and storage the settings name", async () => {
    const registry = await jsm.streams.info(kvStreamName(TASK_BUCKET));
    assert.equal(registry.config.num_replicas, 3);
    assert.equal(registry.config.storage, StorageType.File);
    const latents = await jsm.streams.info(LATENT_STREAM);
    assert.equal(latents.config.num_replicas, 3);
    assert.equal(latents.config.storage, StorageType.Memory);
    assert.equal(latents.config.max_msgs_per_subject, 1);
    for (const info of [registry, latents]) assert.equal(info.cluster?.name, cluster.clusterName);
  });

  test("nats cluster - a finished edit's checkpoint subject holds no message", async () => {
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "make it darker", task: "global", steps: "6" });
    assert.equal(res.status, 200, await res.clone().text());
    const id = res.headers.get("x-edit-id")!;
    assert.ok(id);
    assert.equal(await checkpointCount(id), 0);
    assert.equal((await jsm.direct.getMessage(LATENT_STREAM, { last_by_subj: latentSubject(id) })), null);

    // While an edit runs its checkpoint is there (previews and resume); after it, gone.
    let during = 0;
    let checked: Promise<void> | undefined;
    const streamed = await streamedEdit("make it brighter", 40, () => {
      checked ??= (async () => {
        const subjects = (await jsm.streams.info(LATENT_STREAM, { subjects_filter: "emuedit.latents.>" })).state.subjects ?? {};
        during = Object.keys(subjects).length;
      })();
    });
    await checked;
    assert.ok(during >= 1, "a running edit holds a checkpoint");
    assert.equal(streamed.steps.at(-1), 40);
    assert.equal(await checkpointCount(streamed.id), 0);
  });

  test("nats cluster - a NATS node SIGKILLed while edits run: no edit fails, the registry is whole, clients move to survivors, the node rejoins", async () => {
    const registry = await openTaskRegistry(nc);
    const tasksBefore = await registry.list();
    assert.ok(tasksBefore.length > 0);

    // The victim: the node the gateway is connected to, so at least one service must reconnect.
    const owners = await Promise.all(cluster.nodes.map(async (n) => ((await connectionNames(n)).includes("emuedit-gateway") ? n : null)));
    const victim = owners.find((n) => n !== null)!;
    assert.ok(victim, "the gateway is connected to a node");
    const survivors = cluster.nodes.filter((n) => n !== victim);

    // Several edits denoising when the node dies.
    const progressed = new Set<number>();
    let allStarted = () => undefined as void;
    const started = new Promise<void>((resolve) => (allStarted = resolve));
    const edits = Array.from({ length: CONCURRENT_EDITS }, (_, i) =>
      streamedEdit(`edit ${i}`, LONG_STEPS, () => {
        if (progressed.add(i).size === CONCURRENT_EDITS) allStarted();
      }),
    );
    await Promise.race([started, Promise.all(edits)]);
    await victim.kill();
    const killedAt = Date.now();
    const results = await Promise.allSettled(edits);
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failures, [], "no edit failed");
    for (const r of results) {
      assert.ok(r.status === "fulfilled" && r.value.id);
      assert.ok(r.value.finishedAt > killedAt, "the edit was still running when the node died");
    }

    // Clients on the survivors; the gateway ready (NATS connected) again.
    await waitFor(async () => (await fetch(`${sys.httpUrl}/readyz`)).status === 200, { timeoutMs: 30_000, intervalMs: 200, description: "gateway ready" });
    const onSurvivors = (await Promise.all(survivors.map(connectionNames))).flat();
    for (const name of ["emuedit-gateway", "emuedit-unet"]) assert.ok(onSurvivors.includes(name), `${name} reconnected to a survivor (${onSurvivors.join(", ")})`);

    // The registry is whole: every task readable, unchanged, through a survivor.
    const tasksAfter = await waitFor(() => registry.list(), { timeoutMs: 30_000, intervalMs: 200, description: "registry readable" });
    assert.deepEqual(taskSummary(tasksAfter), taskSummary(tasksBefore));
    for (const t of tasksBefore) assert.ok(await registry.get(t.name), `task ${t.name} readable`);

    // Previews flow again on the survivors, and the edit's checkpoint is purged at its end.
    const after = await waitFor(async () => {
      const e = await streamedEdit("after the loss", 8);
      return e.steps.length > 0 ? e : null;
    }, { timeoutMs: 30_000, intervalMs: 500, description: "progress events with a node down" });
    assert.equal(await checkpointCount(after.id), 0);

    // The node comes back and every replicated stream counts it a current peer again.
    await victim.restart();
    for (const stream of [LATENT_STREAM, kvStreamName(TASK_BUCKET)]) {
      await waitFor(async () => {
        const peers = currentPeers(await jsm.streams.info(stream));
        return peers.length === 3 && peers.includes(victim.name);
      }, { timeoutMs: 60_000, intervalMs: 250, description: `${victim.name} current in ${stream}` });
    }
  });
});
