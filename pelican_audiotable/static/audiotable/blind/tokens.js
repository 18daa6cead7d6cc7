// @ts-check
/** Readers' result tokens: written when every trial has a pick, read back. */

/**
 * @typedef {{v: number, k: string, c: string, s: number, p: (number[] | null)[], w: number, h: string}} Result
 */

/**
 * A token's proof of work (blind/results.py's WORK_*, held equal by
 * tests/twins.json): a `w` for which PBKDF2-HMAC-SHA256 of the table, the
 * commitment and the session, over `iterations` rounds, starts with `bits` zero
 * bits, and `h`, the next 64 bits of that digest (no `w` can be guessed).
 * WebCrypto runs it in native code, off the page's thread: about 8 tries, a
 * second or two on a laptop, a few on a phone, while the reader listens.
 */
export const WORK = { iterations: 1000000, bits: 3, salt: "audiotable-work" };

/**
 * The first `w` that proves the work for a session, `iterations` rounds a try
 * (the table's data-audiotable-work), with its `h`.
 * @param {string} k @param {string} c @param {number} s @param {number} iterations
 * @returns {Promise<{w: number, h: string}>}
 */
export async function proveWork(k, c, s, iterations = WORK.iterations) {
  const encoder = new TextEncoder();
  const salt = encoder.encode(WORK.salt);
  for (let w = 0; ; w++) {
    const text = encoder.encode(`AT|${k}|${c}|${s}|${w}`);
    const key = await crypto.subtle.importKey("raw", text, "PBKDF2", false, ["deriveBits"]);
    const params = { name: "PBKDF2", hash: "SHA-256", salt, iterations };
    const bits = new Uint8Array(await crypto.subtle.deriveBits(params, key, 256));
    if (bits[0] >> (8 - WORK.bits) === 0) {
      const h = Array.from(bits.slice(4, 12), (b) => b.toString(16).padStart(2, "0")).join("");
      return { w, h };
    }
  }
}

/**
 * A reader's result on a table, as `pelican-audiotable results add` reads it
 * (blind/results.py's parse_token, held equal by tests/twins.json): "AT1." and
 * base64url JSON of the table's key, its study's commitment, the session, each
 * trial's pick (the clip's place in the page, and the milliseconds from the
 * trial's first sound) and the proof of work. Nothing personal.
 * @param {Result} result
 */
export function writeToken(result) {
  const { v, k, c, s, p, w, h } = result; // in this order, always
  const text = btoa(JSON.stringify({ v, k, c, s, p, w, h }));
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
