// @ts-check
/**
 * The audio engine: one clip at a time on the page, and every start, pause,
 * seek and switch without a click.
 *
 * The page's one audio graph is made on the reader's first press (browsers let a
 * page sound only from a gesture): each clip's element, through its gain node, to
 * the speakers. The gain carries its loudness matching (iOS ignores an element's
 * volume) and ramps every start, pause and switch. Where Web Audio is missing, or
 * the page is opened from a file (its clips would then count as another origin
 * and play silent through the graph), clips play as elements, matched by their
 * volume. A switch within a row continues at the moment a comparable clip had
 * reached; from a row's first switch on, its clips are decoded in the browser
 * and switch at the same sample. Loops are kept to here.
 */
import { clock } from "./clock.js";
import { comparable, durationOf, leadOf, nameOf, rowOf } from "./clips.js";
import { keepLoop, loopOf } from "./loops.js";

/** Seconds every start, pause and switch fades over. */
const FADE = 0.012;

/** @type {HTMLMediaElement | null} the clip last started (or linked) on the page */
let lastStarted = null;
/** @type {WeakMap<HTMLMediaElement, number>} where a link cued a clip to start */
const cued = new WeakMap();
/** @type {Set<HTMLMediaElement>} the clips the page's controls drive */
const enrolled = new Set();
/** Whether a frame is watching the playing clips' loops. */
let watching = false;

/**
 * The page's one audio graph, made on the reader's first press (browsers let a
 * page sound only from a gesture): each clip's element, through its gain node,
 * to the speakers. Where Web Audio is missing, or the page is opened from a file
 * (its clips would then count as another origin and play silent through the
 * graph), clips play as elements, matched by their volume.
 */
const Context = window.AudioContext || /** @type {any} */ (window).webkitAudioContext;
const graphed = !!Context && location.protocol !== "file:";
/** @type {AudioContext | null} */
let context = null;
/** @type {WeakMap<HTMLMediaElement, GainNode>} */
const gains = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, number>} each clip's matching gain, linear */
const levels = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, number>} a fade-out's timer, until it pauses */
const stopping = new WeakMap();
/** @type {WeakSet<HTMLMediaElement>} the clips whose sound has started */
const sounding = new WeakSet();
/** @type {WeakSet<HTMLMediaElement>} the clips on their way to a new position */
const seeking = new WeakSet();

/** @param {HTMLMediaElement} audio */
function levelOf(audio) {
  return levels.get(audio) ?? 1;
}

/** Whether the clip comes from this site: another's plays silent through a graph. */
/** @param {HTMLMediaElement} audio */
function ours(audio) {
  const source = audio.currentSrc || audio.src || audio.querySelector("source")?.src;
  try {
    return !!source && new URL(source, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/** The clip's gain node, made with the graph when first asked; null: no graph. */
/** @param {HTMLMediaElement} audio */
function gainOf(audio) {
  const known = gains.get(audio);
  if (known || !graphed || !ours(audio)) return known ?? null;
  context ??= new Context();
  const gain = context.createGain();
  gain.gain.value = 0;
  context.createMediaElementSource(audio).connect(gain).connect(context.destination);
  gains.set(audio, gain);
  audio.volume = 1; // the gain node matches it now
  return gain;
}

/** Ramp a gain to `level` within FADE, from wherever it is now. */
/** @param {GainNode} gain @param {number} level */
function ramp(gain, level) {
  if (!context) return;
  const now = context.currentTime;
  const param = gain.gain;
  const from = param.value;
  param.cancelScheduledValues(0);
  param.setValueAtTime(from, now);
  param.linearRampToValueAtTime(level, now + FADE);
}

// ----- Switching at the same sample ----------------------------------------------

/**
 * From the first switch in a row, its clips are decoded in the browser (within a
 * budget) and played from those buffers, the row's one "voice": a switch starts
 * the next clip's buffer at the very sample the last one had reached, past each
 * one's leading silence, and crossfades. The elements keep playing, silent, for
 * the controls' sake (time, progress, state), resynchronised at each switch.
 */
/** Seconds of audio a row may decode in the browser: beyond it, elements. */
const ROW_BUDGET = 600;
/** Seconds ahead a buffer is scheduled: the render thread's margin. */
const AHEAD = 0.03;
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
function decodeRow(row) {
  if (decoded.has(row) || !context) return;
  const ctx = context;
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
  if (!context) return;
  const source = context.createBufferSource();
  source.buffer = buffer;
  const gain = context.createGain();
  gain.gain.value = 0;
  source.connect(gain).connect(context.destination);
  const own = audio instanceof HTMLAudioElement ? loopOf(audio) : null;
  if (own) {
    source.loop = true;
    source.loopStart = own.from;
    source.loopEnd = own.to;
    if (position < own.from || position >= own.to) position = own.from;
  }
  source.start(when, Math.max(0, position));
  gain.gain.setValueAtTime(0, when);
  gain.gain.linearRampToValueAtTime(levelOf(audio), when + FADE);
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
  if (!voice || !context) return;
  const at = Math.max(when ?? 0, context.currentTime);
  const param = voice.gain.gain;
  param.cancelScheduledValues(0);
  param.setValueAtTime(levelOf(voice.audio), at);
  param.linearRampToValueAtTime(0, at + FADE);
  voice.source.stop(at + FADE + 0.01);
  voices.delete(row);
}

/**
 * Start `audio` from its row's buffers when they are decoded: at the sample the
 * row's voice has reached, or at `position`. Returns false when the row plays
 * from elements.
 * @param {HTMLAudioElement} audio @param {number} position
 */
function startFromBuffer(audio, position) {
  const row = rowOf(audio);
  const buffer = bufferOf(row, audio);
  if (!buffer || !context) return false;
  const when = context.currentTime + AHEAD;
  const voice = voices.get(row);
  if (voice && voice.audio !== audio && comparable(voice.audio, audio)) {
    position = voiceAt(voice, when) - leadOf(voice.audio) + leadOf(audio);
  }
  sound(row, audio, buffer, position, when);
  shadowed.add(audio);
  const gain = gainOf(audio);
  if (gain) gain.gain.value = 0; // the element plays on, silent, for the controls
  follow(audio, position);
  for (const other of row.querySelectorAll("audio")) {
    if (other !== audio && other instanceof HTMLAudioElement && !other.paused) {
      stop(other); // silent already, or sounding from its element: faded
    }
  }
  return true;
}

/** Pause a clip, fading it out first when it plays through the graph. */
/** @param {HTMLMediaElement} audio */
export function stop(audio) {
  const row = rowOf(/** @type {HTMLAudioElement} */ (audio));
  if (voices.get(row)?.audio === audio) silence(row);
  if (shadowed.has(audio)) {
    shadowed.delete(audio);
    audio.pause();
    return;
  }
  const gain = gains.get(audio);
  if (!gain || audio.paused) {
    audio.pause();
    return;
  }
  // Already fading out: a second ramp would cancel the first midway, and the
  // render thread can play a moment of what it cancelled (a click).
  if (stopping.has(audio)) return;
  ramp(gain, 0);
  afterFade(
    () => {
      stopping.delete(audio);
      audio.pause();
    },
    (timer) => stopping.set(audio, timer),
  );
}

/**
 * Call `then` once a fade begun now is over where the graph renders: by the
 * audio clock, not the timer's (a busy render thread runs late, and a pause or
 * a jump mid-fade is a click). `waiting` is told each timer, to cancel it.
 * @param {() => void} then @param {(timer: number) => void} [waiting]
 */
function afterFade(then, waiting) {
  const ends = (context?.currentTime ?? 0) + FADE + 0.003;
  const wait = (/** @type {number} */ ms) => {
    const timer = setTimeout(() => {
      if (context && context.currentTime < ends) wait(5);
      else then();
    }, ms);
    waiting?.(timer);
  };
  wait(FADE * 1000 + 15);
}

/** Start a clip at the moment a comparable clip had reached. */
/** @param {HTMLAudioElement} audio */
export function start(audio) {
  clearTimeout(stopping.get(audio));
  stopping.delete(audio);
  const gain = gainOf(audio);
  if (gain && context) {
    context.resume().catch(() => {});
    if (audio.paused) {
      gain.gain.cancelScheduledValues(0);
      gain.gain.value = 0; // it rises when it sounds ("playing")
    } else {
      ramp(gain, levelOf(audio)); // caught while fading out
    }
  }
  const previous = lastStarted;
  const loop = loopOf(audio);
  let position = cued.get(audio) ?? audio.currentTime;
  cued.delete(audio);
  if (previous && previous !== audio && comparable(previous, audio)) {
    const moment = previous.currentTime - leadOf(previous);
    const carried = Math.max(0, moment + leadOf(audio));
    if (previous.currentTime > 0 && carried < durationOf(audio)) position = carried;
  }
  if (loop && (position < loop.from || position >= loop.to)) position = loop.from;
  if (previous && previous !== audio && rowOf(previous) === rowOf(audio) && !previous.paused) {
    decodeRow(rowOf(audio)); // a switch within a row: from now on, at the same sample
  }
  if (startFromBuffer(audio, position)) {
    const playing = audio.play();
    if (playing) playing.catch(() => {});
    return;
  }
  if (position !== audio.currentTime) seek(audio, position);
  const playing = audio.play();
  if (playing) playing.catch(() => {});
}

/**
 * Seek now, or as soon as the clip knows its length (nothing is loaded before
 * play). A clip sounding through the graph fades out first and back in once it
 * sounds from there: a jump in the middle of a wave is a click.
 * @param {HTMLAudioElement} audio @param {number} position
 */
export function seek(audio, position) {
  const row = rowOf(audio);
  const buffer = shadowed.has(audio) ? bufferOf(row, audio) : null;
  if (buffer && context && voices.get(row)?.audio === audio) {
    sound(row, audio, buffer, position, context.currentTime + AHEAD);
    follow(audio, position);
    return;
  }
  const gain = gains.get(audio);
  if (gain) seeking.add(audio);
  if (audio.readyState < HTMLMediaElement.HAVE_METADATA) {
    audio.addEventListener("loadedmetadata", () => (audio.currentTime = position), {
      once: true,
    });
  } else if (gain && sounding.has(audio)) {
    ramp(gain, 0);
    afterFade(() => (audio.currentTime = position));
  } else {
    audio.currentTime = position;
  }
}

/** @param {HTMLAudioElement} audio */
export function toggle(audio) {
  if (audio.paused || stopping.has(audio)) start(audio);
  else stop(audio);
}

/** The others playing on the page stop: faded when they play through the graph. */
/** @param {EventTarget | null} target */
function stopOthers(target) {
  for (const other of document.querySelectorAll("audio")) {
    if (other !== target && !other.paused) stop(other);
  }
}


/** The clip keys and links act on: the one last started, or linked to. */
export function latest() {
  return lastStarted;
}

/**
 * The clip a link names becomes the one keys act on; cued at `at` (its own
 * clock) when given, to start there when the reader presses play.
 * @param {HTMLMediaElement} audio @param {number} [at]
 */
export function select(audio, at) {
  if (at !== undefined) cued.set(audio, at);
  lastStarted = audio;
}

/**
 * A clip the page's controls drive: its loops are kept to while it plays.
 * @param {HTMLMediaElement} audio
 */
export function enroll(audio) {
  enrolled.add(audio);
}

/**
 * A clip's matching gain (linear, at most 1), ramped to at once if it sounds.
 * @param {HTMLMediaElement} clip @param {number} level
 */
export function setLevel(clip, level) {
  levels.set(clip, level);
  const node = gains.get(clip);
  const voice = voices.get(rowOf(clip));
  if (voice?.audio === clip) ramp(voice.gain, levelOf(clip));
  else if (node && !clip.paused) ramp(node, levelOf(clip));
  if (!graphed) clip.volume = levelOf(clip); // the gain node's job where there is one
}

/**
 * Loop (or, with null, stop looping) the row of `audio`: shown on every waveform
 * of the row, said to screen readers, and kept to by every clip of it.
 * @param {HTMLMediaElement} audio @param {import("./loops.js").Loop | null} loop
 */
export function setLoop(audio, loop) {
  if (!keepLoop(audio, loop)) return;
  const row = rowOf(audio);
  const table = audio.closest("table");
  table?.dispatchEvent(new Event("audiotable:looped"));
  const said = table?.previousElementSibling?.querySelector(".audiotable-said");
  if (said && audio instanceof HTMLAudioElement) {
    said.textContent = loop
      ? `Looping ${clock(loop.from, durationOf(audio))} to ${clock(loop.to, durationOf(audio))} in the row of ${nameOf(audio, 0)}. Escape stops looping.`
      : "Not looping.";
  }
  const voice = voices.get(row);
  const buffer = voice ? bufferOf(row, voice.audio) : null;
  if (voice && buffer && context) {
    const when = context.currentTime + AHEAD;
    sound(row, voice.audio, buffer, voiceAt(voice, when), when);
    return;
  }
  const inside = loopOf(audio);
  if (inside && !audio.paused && (audio.currentTime < inside.from || audio.currentTime > inside.to)) {
    seek(audio, inside.from);
  }
}

/** Back to the loop's start when a looping clip reaches its end: checked each
 * frame while a clip plays, not at all when none does. */
function keepToLoops() {
  watching = [...enrolled].some((audio) => !audio.paused);
  if (!watching) return;
  for (const audio of enrolled) {
    if (audio.paused || seeking.has(audio)) continue;
    const voice = voices.get(rowOf(audio));
    if (shadowed.has(audio) && voice?.audio === audio && context) {
      const at = voiceAt(voice, context.currentTime);
      if (Math.abs(audio.currentTime - at) > 0.25) follow(audio, at); // it looped
      continue;
    }
    const loop = loopOf(audio);
    if (loop && (audio.currentTime >= loop.to - FADE || audio.ended)) seek(audio, loop.from);
  }
  requestAnimationFrame(keepToLoops);
}

/** A clip of the graph rises to its level once it sounds from where it is going. */
/** @param {Event} event */
function rise(event) {
  const target = event.target;
  if (!(target instanceof HTMLAudioElement)) return;
  const gain = gains.get(target);
  if (!gain) return;
  if (event.type === "playing") sounding.add(target);
  if (event.type === "seeked") seeking.delete(target);
  // Not one on its way out: it would rise again, and its pause cut it off.
  if (!sounding.has(target) || seeking.has(target) || target.paused) return;
  if (stopping.has(target)) return;
  if (shadowed.has(target)) {
    stopOthers(target); // its buffer sounds: the element stays silent
    return;
  }
  ramp(gain, levelOf(target));
  stopOthers(target);
}
/**
 * The engine listens to every <audio> of the page (enhanced or not): one clip at
 * a time; a clip of the graph takes over when it sounds, the outgoing one fading
 * out as it fades in; loops kept to while any clip plays.
 */
export function listen() {
  document.addEventListener(
    "play",
    (event) => {
      const target = event.target;
      if (!(target instanceof HTMLAudioElement)) return;
      lastStarted = target;
      if (!gains.has(target)) stopOthers(target);
    },
    true,
  );
  document.addEventListener("playing", rise, true);
  document.addEventListener("seeked", rise, true);
  for (const type of ["pause", "waiting", "emptied"]) {
    document.addEventListener(
      type,
      (event) => event.target instanceof HTMLAudioElement && sounding.delete(event.target),
      true,
    );
  }
  document.addEventListener(
    "playing",
    () => {
      if (!watching) requestAnimationFrame(keepToLoops);
      watching = true;
    },
    true,
  );
}
