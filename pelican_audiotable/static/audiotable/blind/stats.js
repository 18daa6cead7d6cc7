// @ts-check
/**
 * What a score means: the chance of doing as well by guessing, and the exact
 * interval of a hit rate (blind/results.py's, held equal by tests/twins.json).
 */

/**
 * The chance of getting at least `right` of these trials right by guessing:
 * each trial's is one in its number of choices (an exact Poisson-binomial tail).
 * @param {number[]} choices @param {number} right
 */
export function byGuessing(choices, right) {
  let odds = [1];
  for (const count of choices) {
    const hit = 1 / count;
    const next = new Array(odds.length + 1).fill(0);
    odds.forEach((p, i) => {
      next[i] += p * (1 - hit);
      next[i + 1] += p * hit;
    });
    odds = next;
  }
  return odds.slice(right).reduce((sum, p) => sum + p, 0);
}

/** P(X >= r) for X ~ Binomial(n, p). */
/** @param {number} n @param {number} r @param {number} p */
function atLeast(n, r, p) {
  if (p <= 0) return r <= 0 ? 1 : 0;
  if (p >= 1) return r <= n ? 1 : 0;
  let sum = 0;
  let term = (1 - p) ** n;
  for (let i = 0; i <= n; i++) {
    if (i >= r) sum += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return sum;
}

/** The exact (Clopper–Pearson) 95 % interval of a hit rate from `right` of `n`. */
/** @param {number} n @param {number} right */
export function interval(n, right) {
  /** The p at which `rises(p)` turns true, by bisection. */
  const solve = (/** @type {(p: number) => boolean} */ rises) => {
    let [low, high] = [0, 1];
    for (let step = 0; step < 40; step++) {
      const middle = (low + high) / 2;
      if (rises(middle)) high = middle;
      else low = middle;
    }
    return (low + high) / 2;
  };
  const lower = right === 0 ? 0 : solve((p) => atLeast(n, right, p) >= 0.025);
  const upper = right === n ? 1 : solve((p) => 1 - atLeast(n, right + 1, p) <= 0.025);
  return [lower, upper];
}

/** A probability as a percentage people read: "3.5", "25", "0.39". */
/** @param {number} p */
export function percent(p) {
  const value = p * 100;
  return value >= 10 ? String(Math.round(value)) : value.toPrecision(2);
}
