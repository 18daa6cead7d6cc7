// @ts-check
/**
 * A passage looped in every clip of a row (a grid's row, a blind trial, a list's
 * one clip), in the row's shared time: seconds past each clip's leading silence.
 * This module keeps the loops and draws them; the engine keeps to them.
 */
import { durationOf, leadOf, rowOf, waveformOf } from "./clips.js";

/** @typedef {{from: number, to: number}} Loop */

/** @type {WeakMap<Element, Loop>} */
const loops = new WeakMap();
/** The shortest loop kept: a click that wobbled is a seek, not a loop. */
const SHORTEST_LOOP = 0.2;

/**
 * The row's loop in its shared time, or undefined.
 * @param {HTMLMediaElement} audio
 */
export function rowLoop(audio) {
  return loops.get(rowOf(audio));
}

/**
 * The row's loop in this clip's own time, or null.
 * @param {HTMLMediaElement} audio
 */
export function loopOf(audio) {
  const loop = rowLoop(audio);
  if (!loop) return null;
  const lead = leadOf(audio);
  return { from: loop.from + lead, to: Math.min(loop.to + lead, durationOf(audio)) };
}

/**
 * Keep `loop` for the row of `audio` (null: none) and draw it on every waveform
 * of the row. Returns false, keeping nothing, for a loop too short to be one.
 * @param {HTMLMediaElement} audio @param {Loop | null} loop
 */
export function keepLoop(audio, loop) {
  const row = rowOf(audio);
  if (loop && loop.to - loop.from < SHORTEST_LOOP) return false;
  if (loop) loops.set(row, loop);
  else loops.delete(row);
  for (const clip of row.querySelectorAll("audio")) showLoop(clip);
  return true;
}

/**
 * The row's loop drawn on a clip's waveform.
 * @param {HTMLMediaElement} audio
 */
function showLoop(audio) {
  const waveform = waveformOf(audio);
  if (!waveform) return;
  let band = waveform.querySelector(".audiotable-loop");
  const loop = loopOf(audio);
  const total = durationOf(audio);
  if (!loop || !total) {
    band?.remove();
    return;
  }
  if (!band) {
    band = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    band.setAttribute("class", "audiotable-loop");
    band.setAttribute("height", "200");
    waveform.insertBefore(band, waveform.querySelector(".audiotable-progress"));
  }
  const columns = waveform.viewBox.baseVal.width;
  band.setAttribute("x", String((columns * loop.from) / total));
  band.setAttribute("width", String((columns * (loop.to - loop.from)) / total));
}
