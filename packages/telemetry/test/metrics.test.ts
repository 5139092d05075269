import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { freePort } from "@emuedit/testing";
import {
  batchSizeHistogram,
  counter,
  gauge,
  MetricName,
  modelCallObserver,
  observableCounter,
  observeModelQueues,
  stageHistogram,
  startTelemetry,
  TelemetryAlreadyStartedError,
  TelemetryStartError,
  type Telemetry,
} from "../src/index.js";

// Created before startTelemetry, as module-level instruments in services are.
const stages = stageHistogram();
const hits = counter(MetricName.TaskCacheHits, { description: "Task cache hits" });
const inFlight = gauge(MetricName.StageInFlightEdits, { description: "Calls in flight per stage" });
const batchSize = batchSizeHistogram();

describe("metrics", () => {
  let telemetry: Telemetry;
  let port: number;
  before(async () => {
    port = await freePort();
    telemetry = await startTelemetry({ serviceName: "metrics-test", metricsPort: port, metricsHost: "127.0.0.1" });
  });
  after(() => telemetry?.shutdown());

  test("prometheus - serves recorded metrics with the documented names", async () => {
    stages.record("vae_encode", 12.5);
    stages.record("denoise", 40);
    hits.add();
    hits.add(2);
    inFlight.set(7, { stage: "unet" });
    batchSize.record(3);
    assert.equal(telemetry.metricsUrl, `http://127.0.0.1:${port}/metrics`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /^emuedit_stage_duration_ms_bucket\{stage="vae_encode",le="25"\} 1$/m);
    assert.match(body, /^emuedit_stage_duration_ms_count\{stage="denoise"\} 1$/m);
    assert.match(body, /^emuedit_task_cache_hits_total 3$/m);
    assert.match(body, /^emuedit_stage_in_flight_edits\{stage="unet"\} 7$/m);
    assert.match(body, /^emuedit_batch_size_sum 3$/m);
    assert.match(body, /service_name="metrics-test"/);
  });

  test("prometheus - observed values are read at each scrape", async () => {
    let waiting = 2;
    let lookups = 1;
    observeModelQueues({ unet: () => ({ waiting, running: 1 }) });
    observableCounter("emuedit_test_lookups", {}, () => [[lookups, { kind: "hit" }]]);
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let body = await scrape();
    assert.match(body, /^emuedit_model_queue_depth\{model="unet"\} 2$/m);
    assert.match(body, /^emuedit_model_runs_in_flight\{model="unet"\} 1$/m);
    assert.match(body, /^emuedit_test_lookups_total\{kind="hit"\} 1$/m);
    waiting = 0;
    lookups = 4;
    body = await scrape();
    assert.match(body, /^emuedit_model_queue_depth\{model="unet"\} 0$/m);
    assert.match(body, /^emuedit_test_lookups_total\{kind="hit"\} 4$/m);
  });

  test("prometheus - process CPU and memory, and a model's queue wait and run time, under their documented names", async () => {
    const unet = modelCallObserver("unet");
    unet.waited(3);
    unet.ran(40);
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const cpu = Number(/^process_cpu_seconds_total ([\d.e+-]+)$/m.exec(body)?.[1]);
    assert.ok(cpu > 0, `process_cpu_seconds_total ${cpu}`);
    assert.ok(Number(/^process_resident_memory_bytes (\d+)$/m.exec(body)?.[1]) > 1024 * 1024);
    assert.match(body, /^nodejs_heap_used_bytes \d+$/m);
    assert.match(body, /^emuedit_model_queue_wait_ms_bucket\{model="unet",le="5"\} 1$/m);
    assert.match(body, /^emuedit_model_run_ms_sum\{model="unet"\} 40$/m);
  });

  test("start - a second start fails until shutdown, bad options fail first", async () => {
    await assert.rejects(startTelemetry({ serviceName: "again" }), TelemetryAlreadyStartedError);
    await assert.rejects(startTelemetry({ serviceName: "" }), TelemetryStartError);
  });
});

describe("metrics restart", () => {
  test("start - after shutdown a new start binds and instruments follow the new provider", async () => {
    const first = await startTelemetry({ serviceName: "first" });
    await first.shutdown();
    const port = await freePort();
    const second = await startTelemetry({ serviceName: "second", metricsPort: port, metricsHost: "127.0.0.1" });
    try {
      hits.add(5);
      const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(body, /^emuedit_task_cache_hits_total 5$/m);
    } finally {
      await second.shutdown();
    }
  });

  test("start - a taken metrics port fails with TelemetryStartError and registers nothing", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await assert.rejects(
        startTelemetry({ serviceName: "clash", metricsPort: port, metricsHost: "127.0.0.1" }),
        (err: Error) => err instanceof TelemetryStartError && (err.cause as NodeJS.ErrnoException).code === "EADDRINUSE",
      );
      const next = await startTelemetry({ serviceName: "after-clash" });
      await next.shutdown();
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
