// Every setting a service reads is documented: docs/operations.md lists each variable with the
// default the code uses (regenerate with `node --import tsx scripts/settings-doc.ts`).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "@emuedit/launcher";
import { gatewaySettings } from "@emuedit/gateway-service/settings";
import { textEncoderSettings } from "@emuedit/text-encoder-service/settings";
import { unetSettings } from "@emuedit/unet-service/settings";
import { vaeSettings } from "@emuedit/vae-service/settings";

describe("docs", () => {
  test("docs - docs/operations.md documents every setting with its current default", async () => {
    const doc = await readFile(path.join(REPO_ROOT, "docs", "operations.md"), "utf8");
    for (const specs of [gatewaySettings, textEncoderSettings, vaeSettings, unetSettings]) {
      for (const spec of Object.values(specs)) {
        const shown = String(spec.default).replaceAll(REPO_ROOT, "<repo>");
        assert.ok(doc.includes(`| \`${spec.env}\` | \`${shown}\` |`), `${spec.env} (default ${shown}) is missing or stale in docs/operations.md`);
      }
    }
  });
});
