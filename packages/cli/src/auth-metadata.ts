import { Metadata } from "@grpc/grpc-js";

/** Call metadata carrying $EMUEDIT_API_KEY, as the gateway's gRPC edge reads it. */
export function authMetadata(apiKey: string | undefined): { metadata?: Metadata } {
  if (apiKey === undefined) return {};
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${apiKey}`);
  return { metadata };
}
