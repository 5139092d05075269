// Prints the settings table of every service (markdown), for docs/operations.md:
//   node --import tsx scripts/settings-doc.ts
import { describeSettings } from "@emuedit/service-kit";
import { gatewaySettings } from "../services/gateway/src/settings.js";
import { textEncoderSettings } from "../services/text-encoder/src/settings.js";
import { unetSettings } from "../services/unet/src/settings.js";
import { vaeSettings } from "../services/vae/src/settings.js";

const sections: [string, Parameters<typeof describeSettings>[0]][] = [
  ["gateway", gatewaySettings],
  ["text-encoder", textEncoderSettings],
  ["vae", vaeSettings],
  ["unet", unetSettings],
];
for (const [name, specs] of sections) {
  process.stdout.write(`### ${name}\n\n${describeSettings(specs).replaceAll(process.cwd(), "<repo>")}\n\n`);
}
