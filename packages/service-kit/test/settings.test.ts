import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { boolSetting, describeSettings, floatSetting, intSetting, readSettings, SettingsError, stringSetting } from "../src/index.js";

const specs = {
  port: intSetting("T_PORT", 8080, "port", { min: 0, max: 65535 }),
  ratio: floatSetting("T_RATIO", 0.5, "ratio", { min: 0, max: 1 }),
  name: stringSetting("T_NAME", "x", "name"),
  on: boolSetting("T_ON", false, "switch"),
};

describe("settings", () => {
  test("settings - unset and empty variables take the defaults", () => {
    assert.deepEqual(readSettings(specs, { T_PORT: "" }), { port: 8080, ratio: 0.5, name: "x", on: false });
  });

  test("settings - values are parsed and typed", () => {
    assert.deepEqual(readSettings(specs, { T_PORT: "9000", T_RATIO: "0.25", T_NAME: "y", T_ON: "yes" }), { port: 9000, ratio: 0.25, name: "y", on: true });
  });

  test("settings - every bad value is reported at once, naming the variable", () => {
    assert.throws(
      () => readSettings(specs, { T_PORT: "80.5", T_RATIO: "2", T_ON: "maybe" }),
      (e: unknown) => e instanceof SettingsError && e.problems.length === 3 && e.problems.every((p) => p.startsWith("T_")),
    );
    assert.throws(() => readSettings(specs, { T_PORT: "70000" }), /T_PORT: must be within 0\.\.65535/);
  });

  test("settings - the markdown table lists each variable with its default", () => {
    const md = describeSettings(specs);
    assert.match(md, /\| `T_PORT` \| `8080` \| port \|/);
    assert.equal(md.split("\n").length, 2 + 4);
  });
});
