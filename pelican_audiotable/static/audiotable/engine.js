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
import { moment } from "./clock.js";
import { comparable, durationOf, leadOf, nameOf, rowOf } from "./clips.js";
import { keepLoop, loopOf } from "./loops.js";

/** Seconds every start, pause and switch fades over. */
export const FADE = 0.012;
/** Seconds ahead of the audio clock a fade is scheduled from. */
const SLACK = 0.01;

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
/** @type {WeakSet<HTMLMediaElement>} the clips whose gain is up (or on its way) */
const raised = new WeakSet();
/** @type {WeakSet<HTMLMediaElement>} the clips on their way to a new position */
const seeking = new WeakSet();
/** @type {WeakMap<HTMLMediaElement, number>} each clip's time when last looked at */
const lastSeen = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, AnalyserNode>} what each element sends the graph */
const probes = new WeakMap();
/**
 * Clips playing whose sound has not reached the graph yet, since (context time).
 * @type {Map<HTMLMediaElement, number>}
 */
const arriving = new Map();
/** Seconds a clip may play without sound reaching the graph: then it is silent. */
const SILENT_FOR = 1;
/** Below this, a sample is silence (-80 dBFS). */
const FLOOR = 1e-4;
/** Seconds after a jump before what reaches the graph is from after it: an
 * engine's queue may still hold a moment from before (heard at gain 0). */
const SETTLE = 0.05;
/** @type {WeakMap<HTMLMediaElement, number>} when each clip was last started (context time) */
const begun = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, number>} when each clip last jumped (context time) */
const jumped = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, number>} where a clip was sent (a start, a seek) */
const sentTo = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, number>} where a clip fading out will jump to */
const bound = new WeakMap();
/**
 * Where each playing clip's sound was first heard from, and when (context time):
 * from there on the audio clock says where it is.
 * @type {WeakMap<HTMLMediaElement, {at: number, from: number}>}
 */
const anchors = new WeakMap();
/** @type {WeakMap<HTMLMediaElement, number>} where each paused clip was heard to stop */
const stoppedAt = new WeakMap();
/** Seconds an element's time may stray from its heard place before the latter
 * is no longer believed (a stall no event told of). */
const STRAY = 3;
/**
 * Clips started before the graph ran, and where: an engine may take a second to
 * open its audio device (Firefox does), while the element plays on unheard.
 * @type {Map<HTMLMediaElement, number>}
 */
const early = new Map();

/** The page's audio graph's context, once the reader has pressed play. */
export function audioContext() {
  return context;
}

/** @param {HTMLMediaElement} audio */
export function levelOf(audio) {
  return levels.get(audio) ?? 1;
}

/**
 * Where in the clip the sound reaching the speakers is: the one clock that is
 * shown, looped, linked and carried across a switch. Its buffer's place when
 * that sounds; else the place its sound was first heard from, moved on by the
 * audio clock (an element's own time may run ahead of the sound it sends the
 * graph: WebKitGTK's by a second); else, before that, the element's time.
 * @param {HTMLMediaElement} audio
 */
export function heardTime(audio) {
  const going = bound.get(audio);
  if (going !== undefined) return going; // where the reader sent it: a key's next step
  const voiced = rows?.voicedAt(audio);
  if (voiced !== undefined && voiced !== null) return voiced;
  if (!gains.has(audio)) return audio.currentTime;
  const anchor = anchors.get(audio);
  if (anchor && context && !audio.paused) {
    const heard = anchor.from + (context.currentTime - anchor.at) * audio.playbackRate;
    if (Math.abs(heard - audio.currentTime) < STRAY) return Math.min(heard, audio.duration || heard);
    anchors.delete(audio);
  }
  if (audio.paused) return stoppedAt.get(audio) ?? audio.currentTime;
  // Playing, its sound not heard yet: it will be heard from where it was sent.
  return sentTo.get(audio) ?? audio.currentTime;
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
  if (!context) {
    context = new Context();
    context.addEventListener("statechange", heardFromNow);
    // iOS plays a page's Web Audio as "ambient" sound, muted by the ring/silent
    // switch, where its media elements would play: these are listened to.
    const session = /** @type {any} */ (navigator).audioSession;
    if (session && "type" in session) session.type = "playback";
  }
  const gain = context.createGain();
  setNow(gain.gain, 0);
  const source = context.createMediaElementSource(audio);
  source.connect(gain).connect(context.destination);
  const probe = context.createAnalyser();
  // The most an analyser keeps (0.68-0.74 s): how long ago a sound arrived is
  // read from it, and a busy page may look only every few tenths of a second.
  probe.fftSize = 32768;
  source.connect(probe);
  probes.set(audio, probe);
  gains.set(audio, gain);
  audio.volume = 1; // the gain node matches it now
  return gain;
}

/**
 * Where each gain's fades end: when, at what level, and the fade playing into it.
 * @type {WeakMap<AudioParam, {ends: number, level: number, fade: AudioBufferSourceNode | null}>}
 */
const scheduled = new WeakMap();
/** @type {Map<string, AudioBuffer>} each fade's shape, by the step it fades */
const shapes = new Map();
/** Samples of silence a fade ends with. */
const HOLD = 128;

/**
 * A fade's shape: what it adds to a gain's level, from `from` to 0 over FADE,
 * then a moment of silence. Played as a buffer into the gain's level.
 * @param {AudioContext} ctx @param {number} from
 */
function shapeOf(ctx, from) {
  const key = String(from);
  const known = shapes.get(key);
  if (known) return known;
  const length = Math.round(FADE * ctx.sampleRate);
  const shape = ctx.createBuffer(1, length + HOLD, ctx.sampleRate);
  const samples = shape.getChannelData(0);
  for (let i = 0; i < length; i++) samples[i] = from * (1 - i / length);
  shapes.set(key, shape);
  return shape;
}

/**
 * Fade `param` from its last level to `level` from `when`: the param is set to
 * `level` at `when`, and a buffer adding the difference, fading to 0, is played
 * into it from then. The fade is a sound, not the param's ramp: its start goes
 * to the render thread in the same message as the param's new value and the
 * start of the sound it shapes, so a render thread already past `when` (a busy
 * machine; Firefox's clock lags by 20 ms and more) starts them together, late,
 * instead of jumping into the middle of a ramp (a click). What holds a level
 * is the param's own value: a source that ended may leave its last value on a
 * param in WebKit, so no source holds one.
 * @param {AudioParam} param @param {number} level @param {number} when
 */
function fadeTo(param, level, when) {
  const from = scheduled.get(param)?.level ?? 0;
  param.setValueAtTime(level, when);
  let fade = null;
  if (context && from !== level) {
    fade = context.createBufferSource();
    fade.buffer = shapeOf(context, from - level);
    fade.connect(param);
    fade.start(when);
  }
  scheduled.set(param, { ends: fade ? when + FADE : when, level, fade });
}

/**
 * A time three quarters into a sample frame: a param's new value and a source
 * started at it then take effect on the same frame in every engine (at a frame's
 * very start, float rounding can put one on the frame before: a one-sample step).
 * @param {number} time
 */
export function onFrame(time) {
  const rate = context?.sampleRate;
  return rate ? (Math.ceil(time * rate - 0.75) + 0.75) / rate : time; // never before it
}

/**
 * Stop a source at `when` (now when not given). WebKit refuses to stop one that
 * has ended (a fade to silence ends by itself): that is not an error here, and
 * must not leave what comes after it undone (a fade left holding its level
 * beside the next one doubles the sound).
 * @param {AudioScheduledSourceNode} source @param {number} [when]
 */
export function end(source, when = 0) {
  try {
    source.stop(when);
  } catch {
    // ended already
  }
}

/**
 * Fade `param` to `level` over FADE from `when` (now when not given), or from
 * the end of a fade still under way. Never cancelled midway: the time a page
 * reads lags the render thread, and a fade restarted from what it reads is a
 * step (a click); a reversal waits for the fade before it instead (at most
 * FADE). Returns when the fade ends.
 * @param {AudioParam} param @param {number} level @param {number} [when]
 */
export function rampTo(param, level, when) {
  // A little ahead: the render thread may be past the time the page reads.
  const now = (context?.currentTime ?? 0) + SLACK;
  const from = onFrame(Math.max(when ?? now, now, scheduled.get(param)?.ends ?? 0));
  fadeTo(param, level, from);
  return scheduled.get(param)?.ends ?? from;
}

/**
 * Set `param` to `level` at once: only for a gain whose sound is silent (a
 * paused element, a buffer not started).
 * @param {AudioParam} param @param {number} level
 */
export function setNow(param, level) {
  const last = scheduled.get(param)?.fade;
  if (last) end(last);
  param.cancelScheduledValues(0);
  param.value = level;
  scheduled.set(param, { ends: 0, level, fade: null });
}

/** Whether a gain lets sound through now, or will (a fade under way). */
/** @param {GainNode} gain */
function audible(gain) {
  const last = scheduled.get(gain.gain);
  return !last || last.level > 0 || (context?.currentTime ?? 0) < last.ends;
}

/** @param {GainNode} gain @param {number} level */
function ramp(gain, level) {
  return rampTo(gain.gain, level);
}

/**
 * Pause a clip, fading it out first when it plays through the graph: from
 * `when` (context time) for a crossfade, else from now.
 * @param {HTMLMediaElement} audio @param {number} [when]
 */
export function stop(audio, when) {
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
  const ends = rampTo(gain.gain, 0, when);
  raised.delete(audio);
  afterFade(
    ends,
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
 * Call `then` once a fade ending at `ends` is over where the graph renders: by
 * the audio clock, not the timer's (a busy render thread runs late, and a pause
 * or a jump mid-fade is a click). `waiting` is told each timer, to cancel it.
 * @param {number} ends @param {() => void} then
 * @param {(timer: number) => void} [waiting]
 */
export function afterFade(ends, then, waiting) {
  if (context?.state !== "running") {
    then(); // nothing renders: nothing to wait for
    return;
  }
  const over = ends + 0.003;
  const wait = (/** @type {number} */ ms) => {
    const timer = setTimeout(() => {
      if (context && context.currentTime < over) wait(5);
      else then();
    }, ms);
    waiting?.(timer);
  };
  wait(Math.max(0, over - (context?.currentTime ?? 0)) * 1000 + 12);
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
      setNow(gain.gain, 0); // it rises once it sounds (see rise)
      raised.delete(audio);
    }
  }
  if (context) begun.set(audio, context.currentTime);
  const previous = lastStarted;
  const loop = loopOf(audio);
  let position = cued.get(audio) ?? heardTime(audio);
  cued.delete(audio);
  if (previous && previous !== audio && comparable(previous, audio)) {
    const reached = heardTime(previous) - leadOf(previous);
    const carried = Math.max(0, reached + leadOf(audio));
    if (heardTime(previous) > 0 && carried < durationOf(audio)) position = carried;
  }
  if (loop && (position < loop.from || position >= loop.to)) position = loop.from;
  if (previous && previous !== audio && rowOf(previous) === rowOf(audio) && !previous.paused) {
    switchesAtTheSample(rowOf(audio)); // a switch within a row: from now on
  }
  lastStarted = audio;
  // Another clip started but not heard yet (still silent) gives way at once: it
  // must not rise after this one, nor play on beside it.
  for (const other of document.querySelectorAll("audio")) {
    const its = gains.get(other);
    if (other !== audio && !other.paused && its && !audible(its) && !rows?.shadows(other)) {
      other.pause();
    }
  }
  if (rows?.startFromBuffer(audio, position)) {
    const playing = audio.play();
    if (playing) playing.catch(() => {});
    return;
  }
  stoppedAt.delete(audio);
  if (audio.paused) sentTo.set(audio, position);
  if (position !== audio.currentTime) {
    seek(audio, position); // caught while fading out, it rises once there
  } else if (gain && !audio.paused) {
    ramp(gain, levelOf(audio)); // caught while fading out
    raised.add(audio);
  }
  if (gain && context?.state !== "running") early.set(audio, position);
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
  sentTo.set(audio, position);
  stoppedAt.delete(audio);
  if (audio.readyState < HTMLMediaElement.HAVE_METADATA) {
    // Where it starts once loaded (its "default playback start position"), so
    // that it never plays from 0 first; an engine that ignores it jumps there.
    try {
      audio.currentTime = position;
    } catch {}
    const there = () => Math.abs(audio.currentTime - position) < 0.01;
    audio.addEventListener("loadedmetadata", () => there() || (audio.currentTime = position), {
      once: true,
    });
    return;
  }
  if (gain) seeking.add(audio);
  if (gain && audible(gain)) {
    const ends = ramp(gain, 0);
    raised.delete(audio);
    bound.set(audio, position);
    // Only the last of quick seeks jumps (a key held, a drag): an earlier one
    // landing after it would undo it.
    afterFade(ends, () => bound.get(audio) === position && jump(audio, position));
  } else {
    jump(audio, position);
  }
}

/** @param {HTMLMediaElement} audio @param {number} position */
function jump(audio, position) {
  bound.delete(audio);
  audio.currentTime = position;
}

/** @param {HTMLAudioElement} audio */
export function toggle(audio) {
  // Playing, but another was started since: on its way out, so started again.
  const leaving = lastStarted !== audio && !!lastStarted && !lastStarted.paused;
  if (audio.paused || stopping.has(audio) || leaving) start(audio);
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
  if (node && raised.has(clip)) ramp(node, levelOf(clip));
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
      ? `Looping ${moment(loop.from)} to ${moment(loop.to)} in the row of ${nameOf(audio, 0)}. Escape stops looping.`
      : "Not looping.";
  }
  if (rows?.loop(row)) return; // its buffer sounds: looped there
  const inside = loopOf(audio);
  const now = heardTime(audio);
  if (inside && !audio.paused && (now < inside.from || now > inside.to)) {
    seek(audio, inside.from);
  }
}

/**
 * Each frame while a clip plays: a clip of the graph that has moved on since the
 * last look is sounding (see rise), and a looping clip at its loop's end goes
 * back to the loop's start. Nothing runs while no clip plays.
 */
function keepToLoops() {
  watching = [...enrolled].some((audio) => !audio.paused);
  if (!watching) return;
  for (const audio of enrolled) {
    if (audio.paused || seeking.has(audio)) continue;
    moved(audio);
    if (rows?.keepUp(audio)) continue; // its buffer keeps to the loop
    const loop = loopOf(audio);
    if (loop && (heardTime(audio) >= loop.to - FADE || audio.ended)) seek(audio, loop.from);
  }
  requestAnimationFrame(keepToLoops);
}

/**
 * Looked at while it plays: a clip whose time has moved on since the last look,
 * not seeking, is sounding from where it is, whatever events its engine sent.
 * @param {HTMLMediaElement} audio
 */
function moved(audio) {
  const was = lastSeen.get(audio);
  const now = audio.currentTime;
  lastSeen.set(audio, now);
  if (was !== undefined && now !== was && !audio.seeking) rise(audio);
}

/**
 * A clip of the graph rises to its level once its sound reaches the graph, and
 * the others stop. Engines differ in what they tell and when: Chromium fires
 * "playing" after a seek, WebKit may not, Firefox fires it before its sound
 * arrives, and WebKit's time runs ahead of what it sends. So any sign that a
 * clip plays ("playing", its time seen moving on) only starts listening for its
 * sound (an analyser before its gain); the gain rises when the sound is there,
 * from 0: never a fade over nothing, then the sound at once (a click).
 * @param {HTMLMediaElement} audio
 */
function rise(audio) {
  const gain = gains.get(audio);
  if (!gain || !context || raised.has(audio) || arriving.has(audio)) return;
  if (context.state !== "running" || !playsOn(audio)) return;
  if (rows?.shadows(audio)) {
    raised.add(audio);
    stopOthers(audio); // its buffer sounds: the element stays silent
    return;
  }
  arriving.set(audio, context.currentTime);
  if (arriving.size === 1) hearArrivals();
}

/** Playing, not on its way somewhere else or out. */
/** @param {HTMLMediaElement} audio */
function playsOn(audio) {
  return !audio.paused && !audio.seeking && !seeking.has(audio) && !stopping.has(audio);
}

/** Every few milliseconds while clips are arriving: those whose sound is there
 * (or that stayed silent SILENT_FOR seconds) rise. */
function hearArrivals() {
  for (const [audio, since] of arriving) {
    const gain = gains.get(audio);
    if (!gain || !context || !playsOn(audio)) {
      arriving.delete(audio);
    } else if (context.currentTime - (jumped.get(audio) ?? -SETTLE) < SETTLE) {
      // still settling
    } else if (sounds(audio) || context.currentTime - since > SILENT_FOR) {
      // Silent all along, it has been where it was sent since it was.
      anchor(audio, arrivedAgo(audio) ?? context.currentTime - since);
      arriving.delete(audio);
      raised.add(audio);
      ramp(gain, levelOf(audio));
      stopOthers(audio);
    }
  }
  if (arriving.size) setTimeout(hearArrivals, 4);
}

/**
 * The clip's sound reached the graph `ago` seconds ago, from where it was sent
 * (or, sent into its leading silence, from where that ends): the audio clock
 * says where it is from now on.
 * @param {HTMLMediaElement} audio @param {number} ago
 */
function anchor(audio, ago) {
  const sent = sentTo.get(audio);
  sentTo.delete(audio);
  if (sent === undefined || !context) return;
  anchors.set(audio, { at: context.currentTime - ago, from: Math.max(sent, leadOf(audio)) });
}

/** Whether the element's sound reaches the graph now. */
/** @param {HTMLMediaElement} audio */
function sounds(audio) {
  const samples = heardLately(audio);
  return !samples || samples.subarray(-256).some((x) => Math.abs(x) > FLOOR);
}

/** What the last probe looked at heard: one buffer, read afresh each look. */
let heard = new Float32Array(0);

/** @param {HTMLMediaElement} audio */
function heardLately(audio) {
  const probe = probes.get(audio);
  if (!probe) return null;
  if (heard.length !== probe.fftSize) heard = new Float32Array(probe.fftSize);
  const samples = heard;
  probe.getFloatTimeDomainData(samples);
  return samples;
}

/**
 * Seconds since the element's sound first reached the graph: its first sound in
 * the analyser's window, but not before it was last started or jumped (the
 * window may still hold its sound from before); the whole window when it sounds all along;
 * null when it has not sounded, or is not listened to. (Not since its last
 * silence: WebKit's sound can drop out for a moment after it starts, and what
 * follows is late by as long.)
 * @param {HTMLMediaElement} audio
 */
function arrivedAgo(audio) {
  const samples = heardLately(audio);
  if (!samples || !context) return null;
  const first = samples.findIndex((x) => Math.abs(x) > FLOOR);
  if (first < 0) return null;
  const ago = (samples.length - first) / context.sampleRate;
  const since = Math.max(jumped.get(audio) ?? -Infinity, begun.get(audio) ?? -Infinity);
  return Math.min(ago, context.currentTime - since);
}

/** Once the graph runs, the clips started before it start again from where
 * they were started: the reader hears them from there. */
function heardFromNow() {
  if (context?.state !== "running") return;
  for (const [audio, position] of early) if (!audio.paused) seek(audio, position);
  early.clear();
}

/** @param {Event} event */
function audioOf(event) {
  return event.target instanceof HTMLAudioElement ? event.target : null;
}

/**
 * The engine listens to every <audio> of the page (enhanced or not): one clip at
 * a time; a clip of the graph takes over when it sounds, the outgoing one fading
 * out as it fades in; loops kept to while any clip plays.
 */
export function listen() {
  /** @param {string} type @param {(audio: HTMLAudioElement) => void} handle */
  const on = (type, handle) =>
    document.addEventListener(type, (event) => {
      const audio = audioOf(event);
      if (audio) handle(audio);
    }, true);
  on("play", (audio) => {
    lastStarted = audio;
    if (!gains.has(audio)) stopOthers(audio);
    if (!watching) requestAnimationFrame(keepToLoops);
    watching = true;
  });
  on("playing", rise);
  on("timeupdate", moved);
  on("seeking", (audio) => {
    lastSeen.delete(audio);
    anchors.delete(audio);
    if (context) jumped.set(audio, context.currentTime);
  });
  on("seeked", (audio) => {
    seeking.delete(audio);
    lastSeen.set(audio, audio.currentTime); // the jump is not playing on
  });
  // Silent from here until it sounds again: the gain waits at 0 for it.
  for (const type of ["waiting", "emptied"]) {
    on(type, (audio) => {
      const gain = gains.get(audio);
      anchors.delete(audio); // its sound stops: the audio clock no longer says
      if (!gain || !raised.has(audio) || rows?.shadows(audio)) return;
      ramp(gain, 0);
      raised.delete(audio);
    });
  }
  on("pause", (audio) => {
    raised.delete(audio);
    if (anchors.has(audio)) stoppedAt.set(audio, heardTime(audio));
    anchors.delete(audio);
  });
}
