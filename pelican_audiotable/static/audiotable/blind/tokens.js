// @ts-check
/** Readers' result tokens: written when every trial has a pick, read back. */

/**
 * @typedef {{v: number, k: string, c: string, s: number, p: (number[] | null)[]}} Result
 */

/**
 * A reader's result on a table, as `pelican-audiotable results add` reads it
 * (blind/results.py's parse_token, held equal by tests/twins.json): "AT1." and
 * base64url JSON of the table's key, its study's commitment, the session and each
 * trial's pick (the clip's place in the page, and the milliseconds from the
 * trial's first sound). Nothing personal.
 * @param {Result} result
 */
export function writeToken(result) {
  const { v, k, c, s, p } = result; // in this order, always
  const text = btoa(JSON.stringify({ v, k, c, s, p }));
  return `AT1.${text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/**
 * A token read back (from this browser's storage); null if it is none.
 * @param {string | null} token @returns {Result | null}
 */
export function readToken(token) {
  try {
    const text = (token || "").slice(4).replace(/-/g, "+").replace(/_/g, "/");
    const data = JSON.parse(atob(text));
    return Array.isArray(data.p) ? data : null;
  } catch {
    return null;
  }
}
