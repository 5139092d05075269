// The rules with Prometheus' own tool: `promtool check rules` on the rule file and on the
// PrometheusRule's groups, `promtool test rules` on the unit tests (each alert fires on a series
// that should fire it and stays quiet on one that should not), and `promtool check config` on
// the scrape configuration as the loopback test runs it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { tempDir } from "@emuedit/testing";
import { ALERT_RULES, findBinary, loopbackConfig, OBSERVABILITY_DIR, RULE_FILE } from "../src/index.js";

const run = promisify(execFile);
const promtool = await findBinary("promtool");
const skip = promtool ? false : "promtool is not installed (apt-get install prometheus; .ci/run installs it)";
const RULE_TESTS = path.join(OBSERVABILITY_DIR, "prometheus", "rules.test.yaml");

async function promtoolOk(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(promtool!, args, { cwd: path.dirname(RULE_FILE) });
    return stdout + stderr;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`promtool ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

describe("rules", { skip }, () => {
  test("promtool - the rule file checks", async () => {
    assert.match(await promtoolOk("check", "rules", RULE_FILE), /SUCCESS: \d+ rules found/);
  });

  test("promtool - the PrometheusRule's groups check", async () => {
    const manifest = parse(await readFile(path.join(OBSERVABILITY_DIR, "operator", "prometheusrule.yaml"), "utf8")) as { kind: string; spec: unknown };
    assert.equal(manifest.kind, "PrometheusRule");
    const dir = await tempDir("emuedit-rules-");
    try {
      const file = path.join(dir.path, "groups.yaml");
      await writeFile(file, stringify(manifest.spec));
      assert.match(await promtoolOk("check", "rules", file), /SUCCESS/);
      assert.deepEqual(manifest.spec, parse(await readFile(RULE_FILE, "utf8")), "the same groups as rules.yaml");
    } finally {
      await dir.cleanup();
    }
  });

  test("promtool - every alert fires on a series that should fire it and stays quiet on one that should not", async () => {
    const tests = (parse(await readFile(RULE_TESTS, "utf8")) as { tests: { name: string; alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests;
    for (const alert of ALERT_RULES) {
      const cases = tests.flatMap((t) => t.alert_rule_test).filter((c) => c.alertname === alert.alert);
      assert.ok(cases.some((c) => c.exp_alerts.length > 0), `${alert.alert}: a firing case`);
      assert.ok(cases.some((c) => c.exp_alerts.length === 0), `${alert.alert}: a quiet case`);
    }
    assert.match(await promtoolOk("test", "rules", RULE_TESTS), /SUCCESS/);
  });

  test("promtool - a unit test that expects the wrong thing fails (the tests can fail)", async () => {
    const dir = await tempDir("emuedit-rules-");
    try {
      const suite = parse(await readFile(RULE_TESTS, "utf8")) as { rule_files: string[]; tests: { alert_rule_test: { exp_alerts: unknown[] }[] }[] };
      suite.rule_files = [RULE_FILE];
      // Swap every firing case's expectation for silence.
      for (const t of suite.tests) for (const c of t.alert_rule_test) c.exp_alerts = c.exp_alerts.length > 0 ? [] : c.exp_alerts;
      const file = path.join(dir.path, "wrong.test.yaml");
      await writeFile(file, stringify(suite));
      await assert.rejects(run(promtool!, ["test", "rules", file]));
    } finally {
      await dir.cleanup();
    }
  });

  test("promtool - the scrape configuration, adapted to loopback, checks", async () => {
    const dir = await tempDir("emuedit-prom-config-");
    try {
      const file = path.join(dir.path, "prometheus.yml");
      await writeFile(file, await loopbackConfig({ gateway: "127.0.0.1:9464", unet: "127.0.0.1:9465" }, RULE_FILE, 1));
      assert.match(await promtoolOk("check", "config", file), /SUCCESS/);
    } finally {
      await dir.cleanup();
    }
  });
});
