import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { canConnect, startNatsCluster, waitFor, type NatsClusterHandle } from "../src/index.js";

const monitor = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}/${path}`)).json() as Promise<Record<string, unknown>>;

describe("nats cluster", () => {
  let cluster: NatsClusterHandle | undefined;
  after(async () => {
    await cluster?.stop();
  });

  test("startNatsCluster - three routed JetStream nodes with their own names, ports and stores, one meta group", async () => {
    cluster = await startNatsCluster();
    assert.equal(cluster.nodes.length, 3);
    assert.equal(cluster.url, cluster.nodes.map((n) => n.url).join(","));
    assert.equal(new Set(cluster.nodes.flatMap((n) => [n.port, n.clusterPort, n.monitorPort])).size, 9, "nine distinct ports");
    for (const node of cluster.nodes) {
      assert.ok((await stat(node.storeDir)).isDirectory());
      const varz = await monitor(node.monitorPort, "varz");
      assert.equal(varz["server_name"], node.name);
      assert.equal((varz["cluster"] as { name: string }).name, "emuedit");
      const routez = await monitor(node.monitorPort, "routez");
      assert.equal(routez["num_routes"], 2, `${node.name} routes to the other two`);
      const jsz = await monitor(node.monitorPort, "jsz");
      assert.equal((jsz["meta_cluster"] as { cluster_size: number }).cluster_size, 3);
    }
  });

  test("startNatsCluster - a killed node restarts on its ports and rejoins; stop() stops every node", async () => {
    const node = cluster!.nodes[1]!;
    await node.kill();
    assert.equal(node.down, true);
    assert.equal(await canConnect(node.port), false);
    await node.restart();
    assert.equal(node.down, false);
    const jsz = await monitor(node.monitorPort, "jsz");
    assert.ok((jsz["meta_cluster"] as { leader?: string }).leader, "it knows the meta leader again");
    await waitFor(async () => (await monitor(node.monitorPort, "routez"))["num_routes"] === 2, { timeoutMs: 10_000, description: "routes again" });
    const codes = await cluster!.stop();
    assert.deepEqual(codes, [0, 0, 0]);
    for (const n of cluster!.nodes) assert.equal(await canConnect(n.port), false);
    await assert.rejects(stat(cluster!.nodes[0]!.storeDir), { code: "ENOENT" });
  });
});
