import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { counter, currentTraceId, extractTraceContext, injectTraceHeaders, stageHistogram, withContext, withSpan } from "../src/index.js";

// Library code calls these helpers whether or not the process started telemetry.
describe("without startTelemetry", () => {
  test("noop - helpers run the work and inject nothing", async () => {
    assert.equal(await withSpan("x", {}, () => injectTraceHeaders()).then((h) => Object.keys(h).length), 0);
    assert.equal(currentTraceId(), undefined);
    assert.equal(withContext(extractTraceContext({}), () => "ran"), "ran");
    counter("emuedit_noop").add();
    stageHistogram().record("noop", 1);
  });
});
