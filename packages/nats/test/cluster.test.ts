// The adapters against a 3-node JetStream cluster on loopback: a client given the server list,
// buckets and the latent stream replicated as asked, and a node lost and rejoined.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager, StorageType, type JetStreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { hostTensor } from "@emuedit/tensors";
import { startNatsCluster, waitFor, type NatsClusterHandle } from "@emuedit/testing";
import {
  connectNats,
  createLatentPublisher,
  ensureLatentStream,
  kvStreamName,
  LATENT_STREAM,
  openKvBucket,
  openTaskRegistry,
  readCheckpoint,
  trackConnection,
} from "../src/index.js";
import { task } from "./fixtures.js";

const latentOf = (step: number) => hostTensor("float32", [1, 4, 8, 8], new Float32Array(256).fill(step));

/** True when the stream has a leader and every replica is current, `node` among them. */
function allCurrent(info: StreamInfo, size: number): boolean {
  const c = info.cluster;
  const peers = [c?.leader, ...(c?.replicas ?? []).filter((r) => r.current).map((r) => r.name)].filter((n) => n !== undefined);
  return c?.leader !== undefined && new Set(peers).size === size;
}

describe("nats cluster", () => {
  let cluster: NatsClusterHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    cluster = await startNatsCluster();
    nc = await connectNats(cluster.url, { name: "cluster-test", reconnectTimeWaitMs: 100 });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  test("cluster - a client given the list connects while its first server is down", async () => {
    const first = cluster.nodes[0]!;
    await first.kill();
    try {
      // nats.js shuffles the list; whichever it tries first, a live server must win.
      for (let i = 0; i < 5; i++) {
        const other = await connectNats(`${first.url},${cluster.nodes[1]!.url}`);
        assert.equal(other.getServer(), cluster.nodes[1]!.url.replace("nats://", ""));
        await other.close();
      }
    } finally {
      await first.restart();
    }
  });

  test("cluster - buckets get the replicas asked; an existing single-copy bucket is scaled up in place", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "tasks_r3", replicas: 3 });
    await registry.put(task(1, "recolor"));
    assert.equal((await jsm.streams.info(kvStreamName("tasks_r3"))).config.num_replicas, 3);

    const r1 = await openKvBucket(nc, "grows", { replicas: 1 });
    await r1.put("kept", "value");
    const r3 = await openKvBucket(nc, "grows", { replicas: 3 });
    const info = await jsm.streams.info(kvStreamName("grows"));
    assert.equal(info.config.num_replicas, 3);
    assert.equal(info.config.storage, StorageType.File);
    assert.equal(new TextDecoder().decode((await r3.get("kept"))?.value), "value", "the data moved with it");
    // A tool that names no replica count uses the bucket as it is.
    await openKvBucket(nc, "grows");
    assert.equal((await jsm.streams.info(kvStreamName("grows"))).config.num_replicas, 3);
  });

  test("cluster - the R3 latent stream keeps checkpoints when its leader is killed, and the node rejoins current", async () => {
    const info = await ensureLatentStream(jsm, { replicas: 3, storage: "memory" });
    assert.equal(info.config.num_replicas, 3);
    assert.equal(info.config.storage, StorageType.Memory);
    await waitFor(async () => allCurrent(await jsm.streams.info(LATENT_STREAM), 3), { timeoutMs: 20_000, intervalMs: 100, description: "3 current replicas" });

    const state = trackConnection(nc);
    const publisher = createLatentPublisher(nc, { timeoutMs: 2000 });
    await publisher.publish({ editId: "survivor", step: 1, totalSteps: 3, timestep: 1, latent: latentOf(1), seed: 9 });

    const leaderName = (await jsm.streams.info(LATENT_STREAM)).cluster?.leader;
    const leader = cluster.nodes.find((n) => n.name === leaderName)!;
    await leader.kill();
    // A new leader among the survivors; publishes and reads go on (the client may have had to
    // reconnect, when it was on the killed node).
    await waitFor(
      async () => {
        const now = await jsm.streams.info(LATENT_STREAM);
        return now.cluster?.leader !== undefined && now.cluster.leader !== leaderName;
      },
      { timeoutMs: 30_000, intervalMs: 200, description: "a new stream leader" },
    );
    assert.ok(state.connected);
    assert.equal((await readCheckpoint(jetstream(nc), "survivor"))?.step, 1, "the checkpoint outlived its leader");
    await waitFor(() => publisher.publish({ editId: "survivor", step: 2, totalSteps: 3, timestep: 2, latent: latentOf(2), seed: 9 }).then(() => true), {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: "a publish after the leader's loss",
    });
    assert.notEqual(nc.getServer(), leader.url.replace("nats://", ""), "connected to a survivor");

    await leader.restart();
    await waitFor(async () => allCurrent(await jsm.streams.info(LATENT_STREAM), 3), {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: `${leader.name} current again`,
    });
    const peers = await jsm.streams.info(LATENT_STREAM);
    assert.ok([peers.cluster?.leader, ...(peers.cluster?.replicas ?? []).map((r) => r.name)].includes(leader.name));
    await publisher.purge("survivor");
    assert.equal(await readCheckpoint(jetstream(nc), "survivor"), null);
  });
});
