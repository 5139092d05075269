// Images of response_format=url: kept in a NATS object bucket whose objects expire after
// EMUEDIT_IMAGE_URL_TTL_S, so whichever gateway replica a download reaches can answer it. The
// link's random name (128 bits) is its only credential, as with a signed URL: anyone holding the
// link may download the image until it expires.
import { randomBytes } from "node:crypto";
import type { ObjectStore } from "@emuedit/nats";

export const IMAGE_RESULTS_ROUTE = "/v1/images/results/";

export interface ImageResults {
  /** Stores a PNG; resolves with the path to download it (under IMAGE_RESULTS_ROUTE). */
  put(png: Uint8Array): Promise<string>;
  /** The PNG of a path's name, or null when unknown or expired. */
  get(name: string): Promise<Uint8Array | null>;
}

export function createImageResults(bucket: ObjectStore): ImageResults {
  return {
    async put(png) {
      const name = `${randomBytes(16).toString("base64url")}.png`;
      await bucket.putBlob({ name }, png);
      return `${IMAGE_RESULTS_ROUTE}${name}`;
    },
    async get(name) {
      if (!/^[A-Za-z0-9_-]{22}\.png$/.test(name)) return null;
      return bucket.getBlob(name);
    },
  };
}
