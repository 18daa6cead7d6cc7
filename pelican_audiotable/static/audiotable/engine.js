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
export const FADE = 0.012;

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
/**
 * Same-sample switching (voices.js), loaded at the first switch within a row.
 * @type {typeof import("./voices.js") | null}
 */
let rows = null;
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

/** The page's audio graph's context, once the reader has pressed play. */
export function audioContext() {
  return context;
}

/** @param {HTMLMediaElement} audio */
export function levelOf(audio) {
  return levels.get(audio) ?? 1;
}

/** Whether the clip comes from this site: another's plays silent through a graph. */
/** @param {HTMLMediaElement} audio */
export function ours(audio) {
  const source = audio.currentSrc || audio.src || audio.querySelector("source")?.src;
  try {
    return !!source && new URL(source, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/** The clip's gain node, made with the graph when first asked; null: no graph. */
/** @param {HTMLMediaElement} audio */
export function gainOf(audio) {
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

/** Pause a clip, fading it out first when it plays through the graph. */
/** @param {HTMLMediaElement} audio */
export function stop(audio) {
  if (rows?.release(audio)) {
    audio.pause(); // silent already: its buffer faded out
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
 * From now on, the clips of `row` switch at the same sample (voices.js loaded,
 * the row decoded in the background).
 * @param {Element} row
 */
function switchesAtTheSample(row) {
  if (rows) {
    rows.decodeRow(row);
    return;
  }
  import("./voices.js").then((loaded) => {
    rows = loaded;
    loaded.decodeRow(row);
  });
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
    switchesAtTheSample(rowOf(audio)); // a switch within a row: from now on
  }
  if (rows?.startFromBuffer(audio, position)) {
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
  if (rows?.seek(audio, position)) return;
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
  if (rows?.level(clip)) return; // its buffer sounds: ramped there
  if (node && !clip.paused) ramp(node, levelOf(clip));
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
  if (rows?.loop(row)) return; // its buffer sounds: looped there
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
    if (rows?.keepUp(audio)) continue; // its buffer keeps to the loop
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
  if (rows?.shadows(target)) {
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
