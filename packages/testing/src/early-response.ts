/** How long a client waits for the response after its upload was cut off (see resetOrFail). */
export const RESPONSE_AFTER_RESET_MS = 5000;

/**
 * An error handler for a raw HTTP request whose upload the server refuses midway and then closes:
 * the client's next write may fail (EPIPE / ECONNRESET) before or after the response arrives.
 * Such an error is expected and gives the response `waitMs` more to arrive; any other error, or
 * no response in that time, rejects, so a lost response is a failure and not a hang. (`reject`
 * after the promise resolved is a no-op.)
 */
export function resetOrFail(reject: (e: Error) => void, waitMs = RESPONSE_AFTER_RESET_MS): (err: Error) => void {
  return (err) => {
    if (!/EPIPE|ECONNRESET/.test(String(err))) return reject(err);
    setTimeout(() => reject(new Error(`${String(err)} and no response within ${waitMs} ms`)), waitMs).unref();
  };
}
