// @ts-check
/**
 * Switching at the same sample, loaded at a row's first switch. From then on the
 * row's clips are decoded in the browser (within a budget) and played from those
 * buffers, the row's one "voice": a switch starts the next clip's buffer at the
 * very sample the last one had reached, past each one's leading silence, and
 * crossfades. The elements keep playing, silent, for the controls' sake (time,
 * progress, state), resynchronised at each switch.
 */
import { comparable, durationOf, leadOf, rowOf } from "./clips.js";
import {
  afterFade,
  audioContext,
  end,
  gainOf,
  levelOf,
  onFrame,
  ours,
  rampTo,
  setNow,
  stop,
} from "./engine.js";
import { loopOf } from "./loops.js";

/** Seconds of audio a row may decode in the browser: beyond it, elements. */
const ROW_BUDGET = 600;
/** Seconds ahead a buffer is scheduled: the render thread's margin (a busy
 * Firefox needed more than 0.03: a buffer started in its past starts at once). */
const AHEAD = 0.06;
/** @type {WeakMap<Element, Map<HTMLMediaElement, AudioBuffer> | string>} */
const decoded = new WeakMap();
/**
 * @typedef {{audio: HTMLMediaElement, source: AudioBufferSourceNode, gain: GainNode,
 *   when: number, offset: number, loop: {from: number, to: number} | null}} Voice
 */
/** @type {WeakMap<Element, Voice>} each row's sounding buffer */
const voices = new WeakMap();
/** @type {WeakSet<HTMLMediaElement>} elements silent while their buffer sounds */
const shadowed = new WeakSet();

/** @param {HTMLMediaElement} audio */
function sourceOf(audio) {
  return audio.currentSrc || audio.src || audio.querySelector("source")?.src || "";
}

/** The silent element moved to where its buffer plays, for the controls. */
/** @param {HTMLMediaElement} audio @param {number} position */
function follow(audio, position) {
  if (audio.readyState >= HTMLMediaElement.HAVE_METADATA) audio.currentTime = position;
  else audio.addEventListener("loadedmetadata", () => (audio.currentTime = position), { once: true });
}

/** Decode the row's clips once, in the background, when it fits the budget. */
/** @param {Element} row */
export function decodeRow(row) {
  const ctx = audioContext();
  if (decoded.has(row) || !ctx) return;
  /** @type {HTMLAudioElement[]} */
  const clips = Array.from(row.querySelectorAll("audio[data-duration]"));
  const total = clips.reduce((sum, clip) => sum + durationOf(clip), 0);
  if (clips.length < 2 || !(total <= ROW_BUDGET) || !clips.every(ours)) {
    decoded.set(row, "over budget");
    return;
  }
  decoded.set(row, "decoding");
  Promise.all(
    clips.map((clip) =>
      fetch(sourceOf(clip))
        .then((response) => response.arrayBuffer())
        .then((bytes) => ctx.decodeAudioData(bytes)),
    ),
  ).then(
    (buffers) => decoded.set(row, new Map(clips.map((clip, i) => [clip, buffers[i]]))),
    () => decoded.set(row, "undecodable"),
  );
}

/** @param {Element} row @param {HTMLMediaElement} audio */
function bufferOf(row, audio) {
  const buffers = decoded.get(row);
  return buffers instanceof Map ? buffers.get(audio) ?? null : null;
}

/** Where a voice is at context time `at`, on its clip's own clock. */
/** @param {Voice} voice @param {number} at */
function voiceAt(voice, at) {
  const position = voice.offset + (at - voice.when);
  const loop = voice.loop;
  if (!loop || position < loop.to) return position;
  return loop.from + ((position - loop.from) % (loop.to - loop.from));
}

/**
 * The row's voice becomes `audio`'s buffer from `position`, at context time
 * `when`: the last voice fades out as it fades in.
 * @param {Element} row @param {HTMLMediaElement} audio @param {AudioBuffer} buffer
 * @param {number} position @param {number} when
 */
function sound(row, audio, buffer, position, when) {
  const context = audioContext();
  if (!context) return;
  const source = context.createBufferSource();
  source.buffer = buffer;
  const gain = context.createGain();
  setNow(gain.gain, 0);
  source.connect(gain).connect(context.destination);
  const own = audio instanceof HTMLAudioElement ? loopOf(audio) : null;
  if (own) {
    source.loop = true;
    source.loopStart = own.from;
    source.loopEnd = own.to;
    if (position < own.from || position >= own.to) position = own.from;
  }
  source.start(when, Math.max(0, position));
  rampTo(gain.gain, levelOf(audio), when);
  silence(row, when);
  voices.set(row, { audio, source, gain, when, offset: Math.max(0, position), loop: own });
  source.addEventListener("ended", () => {
    if (voices.get(row)?.source === source) voices.delete(row);
  });
}

/** The row's voice fades out from `when` (now when not given). */
/** @param {Element} row @param {number} [when] */
function silence(row, when) {
  const voice = voices.get(row);
  if (!voice) return;
  const ends = rampTo(voice.gain.gain, 0, when);
  voices.delete(row);
  end(voice.source, ends + 0.01);
}

/**
 * Start `audio` from its row's buffers when they are decoded: at the sample the
 * row's voice has reached, or at `position`. Returns false when the row plays
 * from elements.
 * @param {HTMLAudioElement} audio @param {number} position
 */
export function startFromBuffer(audio, position) {
  const row = rowOf(audio);
  const buffer = bufferOf(row, audio);
  const context = audioContext();
  if (!buffer || !context) return false;
  const when = onFrame(context.currentTime + AHEAD);
  const voice = voices.get(row);
  if (voice && voice.audio !== audio && comparable(voice.audio, audio)) {
    position = voiceAt(voice, when) - leadOf(voice.audio) + leadOf(audio);
  }
  sound(row, audio, buffer, position, when);
  shadowed.add(audio);
  const gain = gainOf(audio);
  // The element plays on, silent, for the controls: faded out as the buffer
  // fades in (it may be sounding: cut at once, it would click), then moved to
  // where the buffer is (a jump while it sounds would click too).
  const ends = gain ? rampTo(gain.gain, 0, when) : 0;
  afterFade(ends, () => {
    const voice = voices.get(row);
    if (voice?.audio === audio) follow(audio, voiceAt(voice, context.currentTime));
  });
  for (const other of row.querySelectorAll("audio")) {
    if (other !== audio && other instanceof HTMLAudioElement && !other.paused) {
      stop(other, when); // silent already, or sounding from its element: crossfaded
    }
  }
  return true;
}

/**
 * A clip paused: the row's voice fades out if it is this clip's. Returns whether
 * its element was silent (its buffer sounded), and so needs no fade of its own.
 * @param {HTMLMediaElement} audio
 */
export function release(audio) {
  const row = rowOf(audio);
  if (voices.get(row)?.audio === audio) silence(row);
  return shadowed.delete(audio);
}

/**
 * A clip whose buffer sounds jumps there (its element follows); false when it
 * plays from its element.
 * @param {HTMLMediaElement} audio @param {number} position
 */
export function seek(audio, position) {
  const row = rowOf(audio);
  const buffer = shadowed.has(audio) ? bufferOf(row, audio) : null;
  const context = audioContext();
  if (!buffer || !context || voices.get(row)?.audio !== audio) return false;
  sound(row, audio, buffer, position, onFrame(context.currentTime + AHEAD));
  follow(audio, position);
  return true;
}

/**
 * The clip's matching gain, ramped to on its buffer if that sounds.
 * @param {HTMLMediaElement} clip
 */
export function level(clip) {
  const voice = voices.get(rowOf(clip));
  const context = audioContext();
  if (voice?.audio !== clip || !context) return false;
  rampTo(voice.gain.gain, levelOf(clip));
  return true;
}

/**
 * The row's new loop, kept by its sounding buffer; false when none sounds.
 * @param {Element} row
 */
export function loop(row) {
  const voice = voices.get(row);
  const buffer = voice ? bufferOf(row, voice.audio) : null;
  const context = audioContext();
  if (!voice || !buffer || !context) return false;
  const when = onFrame(context.currentTime + AHEAD);
  sound(row, voice.audio, buffer, voiceAt(voice, when), when);
  return true;
}

/**
 * A silent element kept where its looping buffer is; false when the clip plays
 * from its element.
 * @param {HTMLMediaElement} audio
 */
export function keepUp(audio) {
  const voice = voices.get(rowOf(audio));
  const context = audioContext();
  if (!shadowed.has(audio) || voice?.audio !== audio || !context) return false;
  const at = voiceAt(voice, context.currentTime);
  if (Math.abs(audio.currentTime - at) > 0.25) follow(audio, at); // it looped
  return true;
}

/**
 * Where the clip's buffer is, when it sounds instead of its element; else null.
 * @param {HTMLMediaElement} audio
 */
export function voicedAt(audio) {
  const voice = voices.get(rowOf(audio));
  const context = audioContext();
  if (!shadowed.has(audio) || voice?.audio !== audio || !context) return null;
  return voiceAt(voice, context.currentTime);
}

/**
 * Whether the clip's element is silent while its buffer sounds.
 * @param {HTMLMediaElement} audio
 */
export function shadows(audio) {
  return shadowed.has(audio);
}
