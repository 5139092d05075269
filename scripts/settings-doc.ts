// Prints the settings table of every service (markdown), for docs/operations.md:
//   node --import tsx scripts/settings-doc.ts
import { describeSettings } from "@emuedit/service-kit";
import { gatewaySettings } from "@emuedit/gateway-service/settings";
import { textEncoderSettings } from "@emuedit/text-encoder-service/settings";
import { unetSettings } from "@emuedit/unet-service/settings";
import { vaeSettings } from "@emuedit/vae-service/settings";

const sections: [string, Parameters<typeof describeSettings>[0]][] = [
  ["gateway", gatewaySettings],
  ["text-encoder", textEncoderSettings],
  ["vae", vaeSettings],
  ["unet", unetSettings],
];
for (const [name, specs] of sections) {
  process.stdout.write(`### ${name}\n\n${describeSettings(specs).replaceAll(process.cwd(), "<repo>")}\n\n`);
}
