// @ts-check
/**
 * How a time reads: the players' clocks (the captions' rule, model.format_duration
 * in the build, held equal by tests/twins.json) and the times of a link.
 */

/**
 * m:ss, whole seconds cut as native players do, and tenths cut too in a clip
 * shorter than 10 s.
 * @param {number} seconds
 * @param {number} length the clip's length
 */
export function clock(seconds, length) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  if (h) return `${h}:${String(m).padStart(2, "0")}:${s}`;
  if (length < 10) return `${m}:${s}.${Math.floor(Math.round(seconds * 1e6) / 1e5) % 10}`;
  return `${m}:${s}`;
}

/**
 * m:ss.t, tenths cut: a loop's ends as the status line says them (a loop from
 * 1.8 s reads 0:01.8, not 0:01).
 * @param {number} seconds
 */
export function moment(seconds) {
  const tenths = Math.floor(Math.round(Math.max(0, seconds) * 1e6) / 1e5);
  const whole = Math.floor(tenths / 10);
  return `${clock(whole, Infinity)}.${tenths % 10}`;
}

/**
 * Seconds from "12.5", "1:02.5" or "npt:12.5"; null when not a time.
 * @param {string} text
 */
export function parseTime(text) {
  const parts = text.replace(/^npt:/, "").split(":").map(Number);
  if (!text || parts.some((n) => !Number.isFinite(n) || n < 0)) return null;
  return parts.reduce((total, n) => total * 60 + n, 0);
}

/**
 * A time as a link writes it: tenths, no trailing zeros.
 * @param {number} seconds
 */
export function timeField(seconds) {
  return String(Math.round(Math.max(0, seconds) * 10) / 10);
}
