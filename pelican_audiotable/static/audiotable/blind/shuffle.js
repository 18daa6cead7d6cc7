// @ts-check
/**
 * The blind tables' randomness, as the build has it too (held equal by
 * tests/twins.json): the generator, the shuffle, and the answer the build
 * scrambled into the page.
 */

/**
 * Mulberry32, the build's generator too (blind/answer.py's Shuffle): the build
 * scrambles the answer with it, and the script unscrambles it the same way.
 * @param {number} seed
 */
export function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = ((t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t) >>> 0;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Fisher-Yates, as the build does it. */
/** @param {() => number} next @param {number} count */
export function permutation(next, count) {
  const places = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [places[i], places[j]] = [places[j], places[i]];
  }
  return places;
}

/**
 * The labels and answers the build scrambled into data-audiotable-blind, and
 * their bytes (what a study's commitment is a digest of).
 * @param {string} attribute
 * @returns {Answer}
 */
export function unscramble(attribute) {
  const [seed, payload] = attribute.split(".");
  const next = generator(Number(seed) ^ 0x5eed);
  const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0) ^ (next() >>> 24));
  return { ...JSON.parse(new TextDecoder().decode(bytes)), bytes };
}

/** @typedef {{labels: string[][], answers: number[], bytes: Uint8Array}} Answer */
