// The Prefer request header (RFC 7240): `Prefer: respond-async` asks for a 202 and a job instead
// of waiting for the image. Unknown preferences are ignored, as the RFC asks; a malformed header
// or a respond-async with a value is a 400, so a typo never silently turns into a blocking edit.
import { EmueditError, Status } from "@emuedit/errors";

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface Preferences {
  readonly respondAsync: boolean;
}

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  let respondAsync = false;
  for (const value of values) {
    for (const element of value.split(",")) {
      const pref = element.split(";")[0]!.trim();
      if (pref === "") continue;
      const eq = pref.indexOf("=");
      const name = (eq < 0 ? pref : pref.slice(0, eq)).trim().toLowerCase();
      if (!TOKEN.test(name)) throw bad(`malformed preference ${JSON.stringify(pref)}`);
      if (name === "respond-async") {
        if (eq >= 0) throw bad(`respond-async takes no value, got ${JSON.stringify(pref)}`);
        respondAsync = true;
      }
    }
  }
  return { respondAsync };
}

const bad = (why: string) => new EmueditError(Status.InvalidArgument, `Prefer: ${why} (send "Prefer: respond-async" for an asynchronous edit)`, { details: { field: "Prefer" } });
