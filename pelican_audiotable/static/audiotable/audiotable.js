// @ts-check
/**
 * pelican-audiotable: listening side by side.
 *
 * Progressive enhancement of the tables the plugin annotated (table.audiotable,
 * audio[data-duration]). Without this script the native players and the build-time
 * durations still work; with it:
 *  - only one clip plays at a time (native players included);
 *  - one Web Audio graph, made on the reader's first press: each clip's element
 *    through a gain node, which carries its loudness matching (iOS ignores an
 *    element's volume) and ramps every start, pause and switch, so that none clicks;
 *    a switch is a crossfade; from a row's first switch on, its clips are decoded
 *    in the browser (up to 10 minutes of audio a row) and switch at the same sample;
 *  - each clip gets a compact control: play/pause, a seekable bar, and elapsed/total
 *    time that shows the build-time duration before anything is downloaded;
 *  - switching between clips of one row or column continues at the same musical
 *    moment (positions aligned by each clip's leading silence) when their lengths
 *    match within 2 %, as listening-test tools do;
 *  - clips play loudness-matched (audio[data-loudness], measured at build time):
 *    each at the loudness of the quietest clip of its table, by attenuation only;
 *    a toggle per table turns it off, and the choice is remembered for the site;
 *  - a waveform (svg.audiotable-waveform) shows the progress and seeks on a click;
 *    a table's "Spectrum" switch shows each clip's spectrogram in its place (the
 *    pictures are fetched only then);
 *  - a loop: drag across a waveform, or press [ and ] at the playhead, to loop a
 *    passage in every clip of the row (switching stays inside it); Escape clears it;
 *  - links to a moment: #t=12.5,20 loops that passage in the page's first audio
 *    table, #ID&clip=2&t=12.5 cues its second clip there (a blind table's links
 *    never name a clip); "Copy link" makes one of where the reader is;
 *  - keys, inside a table: Space plays/pauses, 1–9 pick a clip, arrows seek 5 s;
 *  - blind tables (table.audiotable-blind): the clips, "A", "B", …, in an order
 *    shuffled per visit and always loudness-matched; the reader picks one, then sees
 *    every label, whether the pick was right, and the score with the chance of
 *    doing as well by guessing; the trials come in an order of the reader's session
 *    (#seed=N replays it); "Try again" reshuffles, for practice. The labels come
 *    from the table's scrambled data-audiotable-blind attribute (see blind.py),
 *    never from the page's text. Once every trial has a pick, the reader gets a
 *    result token to copy or send (see results.py); a sealed study records picks
 *    and says nothing; a revealed one checks its answer against the commitment
 *    the sealed page carried (WebCrypto) and scores the picks kept then.
 * Nothing is fetched until the reader presses play.
 */
(() => {
  "use strict";

  const MATCH_TOLERANCE = 0.02;
  const SEEK_STEP = 5;
  const MATCHING_KEY = "audiotable-loudness-matching";
  const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  /** Seconds every start, pause and switch fades over. */
  const FADE = 0.012;

  /** @type {HTMLAudioElement | null} the clip last started anywhere on the page */
  let lastStarted = null;

  /**
   * m:ss, whole seconds cut as native players do, and tenths cut too in a clip
   * shorter than 10 s (the captions' rule: render.format_duration).
   * @param {number} seconds
   * @param {number} length the clip's length
   */
  function clock(seconds, length) {
    if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
    const whole = Math.floor(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    if (h) return `${h}:${String(m).padStart(2, "0")}:${s}`;
    if (length < 10) return `${m}:${s}.${Math.floor(Math.round(seconds * 1e6) / 1e5) % 10}`;
    return `${m}:${s}`;
  }

  /** @param {HTMLAudioElement} audio */
  function durationOf(audio) {
    const known = Number(audio.dataset.duration);
    return Number.isFinite(known) && known > 0 ? known : audio.duration;
  }

  /** The clip's name for people: its row and column, as the table says. */
  /** @param {HTMLAudioElement} audio @param {number} index */
  function nameOf(audio, index) {
    if (audio.closest("table.audiotable-blind")) {
      // A letter, and in a grid the row it is in ("Verse, clip A"): never a label.
      const row = audio.closest("tr")?.querySelector(":scope > th[scope=row]")?.textContent;
      const letter = audio.dataset.audiotableColumn;
      return row ? `${row}, clip ${letter}` : `Clip ${letter}`;
    }
    // The build names each player once on its page (row numbers where labels repeat).
    const given = audio.getAttribute("aria-label");
    if (given) return given;
    const parts = [audio.dataset.audiotableRow, audio.dataset.audiotableColumn].filter(
      Boolean,
    );
    return parts.length ? parts.join(", ") : audio.dataset.title || `clip ${index + 1}`;
  }

  /** The clip's waveform, drawn at build time after its player. */
  /** @param {HTMLAudioElement} audio */
  function waveformOf(audio) {
    for (let node = audio.nextElementSibling; node; node = node.nextElementSibling) {
      if (node instanceof SVGSVGElement && node.classList.contains("audiotable-waveform")) {
        return node;
      }
      if (node instanceof HTMLAudioElement) break;
    }
    return null;
  }

  /** Seconds of silence before the clip's sound starts (0 when not measured). */
  /** @param {HTMLAudioElement} audio */
  function leadOf(audio) {
    const lead = Number(waveformOf(audio)?.dataset.lead);
    return Number.isFinite(lead) && lead > 0 ? lead : 0;
  }

  /** Same row or same column, and sounding lengths within 2 %: positions correspond. */
  /** @param {HTMLAudioElement} a @param {HTMLAudioElement} b */
  function comparable(a, b) {
    if (a === b || a.closest("table") !== b.closest("table")) return false;
    const sameRow = !!a.dataset.audiotableRow && a.dataset.audiotableRow === b.dataset.audiotableRow;
    const sameColumn =
      !!a.dataset.audiotableColumn && a.dataset.audiotableColumn === b.dataset.audiotableColumn;
    if (!sameRow && !sameColumn) return false;
    const da = durationOf(a) - leadOf(a);
    const db = durationOf(b) - leadOf(b);
    return Math.abs(da - db) <= MATCH_TOLERANCE * Math.max(da, db);
  }

  // ----- Loops ------------------------------------------------------------------

  /**
   * A passage looped in every clip of a row (a grid's row, a blind trial, a list's
   * one clip), in the row's shared time: seconds past each clip's leading silence.
   * @typedef {{from: number, to: number}} Loop
   */
  /** @type {WeakMap<Element, Loop>} */
  const loops = new WeakMap();
  /** The shortest loop kept: a click that wobbled is a seek, not a loop. */
  const SHORTEST_LOOP = 0.2;

  /** @param {HTMLAudioElement} audio */
  function rowOf(audio) {
    return audio.closest("tr") ?? audio;
  }

  /** The row's loop in this clip's own time, or null. */
  /** @param {HTMLAudioElement} audio */
  function loopOf(audio) {
    const loop = loops.get(rowOf(audio));
    if (!loop) return null;
    const lead = leadOf(audio);
    return { from: loop.from + lead, to: Math.min(loop.to + lead, durationOf(audio)) };
  }

  /**
   * Loop (or, with null, stop looping) the row of `audio`: shown on every waveform
   * of the row, said to screen readers, and kept to by every clip of it.
   * @param {HTMLAudioElement} audio @param {Loop | null} loop
   */
  function setLoop(audio, loop) {
    const row = rowOf(audio);
    if (loop && loop.to - loop.from < SHORTEST_LOOP) return;
    if (loop) loops.set(row, loop);
    else loops.delete(row);
    const table = audio.closest("table");
    table?.dispatchEvent(new Event("audiotable:looped"));
    for (const clip of row.querySelectorAll("audio")) {
      if (clip instanceof HTMLAudioElement) showLoop(clip);
    }
    const said = table?.previousElementSibling?.querySelector(".audiotable-said");
    if (said) {
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

  /** The row's loop drawn on a clip's waveform. */
  /** @param {HTMLAudioElement} audio */
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

  /** @type {HTMLAudioElement[]} every clip this script enhanced */
  const enhanced = [];

  let watching = false;

  /** Back to the loop's start when a looping clip reaches its end: checked each
   * frame while a clip plays, not at all when none does. */
  function keepToLoops() {
    watching = enhanced.some((audio) => !audio.paused);
    if (!watching) return;
    for (const audio of enhanced) {
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

  // ----- Links to a moment ----------------------------------------------------

  /** @type {WeakMap<HTMLMediaElement, number>} where a link cued a clip to start */
  const cued = new WeakMap();

  /** Seconds from "12.5", "1:02.5" or "npt:12.5"; null when not a time. */
  /** @param {string} text */
  function parseTime(text) {
    const parts = text.replace(/^npt:/, "").split(":").map(Number);
    if (!text || parts.some((n) => !Number.isFinite(n) || n < 0)) return null;
    return parts.reduce((total, n) => total * 60 + n, 0);
  }

  /** @param {number} seconds */
  function timeField(seconds) {
    return String(Math.round(Math.max(0, seconds) * 10) / 10);
  }

  /**
   * The moment or passage the address names, in the spirit of media fragments:
   * `#t=12.5,20` in the page's first audio table, `#ID&t=…` in the table of that
   * id, `&clip=2` its second clip. Times are on the named clip's clock (the first
   * clip's when none is named); a blind table's are on the row's shared clock.
   * The table is scrolled to, the passage looped (or the clip cued at the
   * moment), and nothing plays before the reader presses.
   */
  function followAddress() {
    let id = "";
    /** @type {number | null} */
    let from = null;
    /** @type {number | null} */
    let to = null;
    let number = 0;
    for (const field of location.hash.slice(1).split("&")) {
      const [key, value] = field.split("=");
      if (value === undefined) id = decodeURIComponent(key);
      else if (key === "t") [from, to] = value.split(",").map(parseTime);
      else if (key === "clip") number = Number.parseInt(value, 10);
    }
    if (from === null && to === null) return;
    const table = id ? document.getElementById(id) : document.querySelector("table.audiotable");
    if (!(table instanceof HTMLTableElement) || !table.classList.contains("audiotable")) return;
    /** @type {HTMLAudioElement[]} */
    const clips = Array.from(table.querySelectorAll("audio[data-duration]"));
    const blind = table.classList.contains("audiotable-blind");
    const clip = (!blind && clips[number - 1]) || clips[0];
    if (!clip) return;
    const lead = blind ? 0 : leadOf(clip);
    const start = from ?? 0;
    if (to !== null && to > start) setLoop(clip, { from: start - lead, to: to - lead });
    else cued.set(clip, start + (blind ? leadOf(clip) : 0));
    lastStarted = clip;
    table.scrollIntoView({ block: "center" });
    table.focus({ preventScroll: true });
  }

  /** "Copy link", once the reader has played or looped in the table. */
  /** @param {HTMLTableElement} table @param {HTMLAudioElement[]} clips */
  function offerLink(table, clips) {
    const tools = toolsOf(table);
    if (tools.querySelector(".audiotable-link")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "audiotable-link";
    button.textContent = "Copy link";
    button.addEventListener("click", () => {
      const blind = table.classList.contains("audiotable-blind");
      const clip = lastStarted && clips.includes(lastStarted) ? lastStarted : clips[0];
      const loop = loops.get(rowOf(clip));
      const lead = blind ? 0 : leadOf(clip);
      const time = loop
        ? `${timeField(loop.from + lead)},${timeField(loop.to + lead)}`
        : timeField(clip.currentTime - (blind ? leadOf(clip) : 0));
      const fields = [table.id, ...(blind ? [] : [`clip=${clips.indexOf(clip) + 1}`]), `t=${time}`];
      const link = `${location.href.split("#")[0]}#${fields.join("&")}`;
      history.replaceState(null, "", link);
      const said = tools.querySelector(".audiotable-said");
      const say = (/** @type {string} */ text) => said && (said.textContent = text);
      navigator.clipboard?.writeText(link).then(
        () => say(`Link copied: ${link}`),
        () => say(link),
      ) ?? say(link);
    });
    tools.append(button);
  }

  // ----- The audio engine -----------------------------------------------------

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
  function stop(audio) {
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
  function start(audio) {
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
  function seek(audio, position) {
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
  function toggle(audio) {
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

  // One clip at a time, for every <audio> of the page (enhanced or not). A clip of
  // the graph takes over when it sounds: the outgoing one fades out as it fades in.
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
  document.addEventListener("playing", rise, true);
  document.addEventListener("seeked", rise, true);
  for (const type of ["pause", "waiting", "emptied"]) {
    document.addEventListener(
      type,
      (event) => event.target instanceof HTMLAudioElement && sounding.delete(event.target),
      true,
    );
  }

  /** @param {HTMLAudioElement} audio @param {number} index */
  function enhanceClip(audio, index) {
    enhanced.push(audio);
    let name = nameOf(audio, index);
    const total = durationOf(audio);

    const player = document.createElement("div");
    player.className = "audiotable-player";
    player.dataset.state = "paused";
    player.setAttribute("role", "group");
    player.setAttribute("aria-label", name);

    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("aria-label", `Play ${name}`);

    const bar = document.createElement("input");
    bar.type = "range";
    bar.min = "0";
    bar.max = String(total || 0);
    bar.step = "0.1";
    bar.value = "0";
    bar.setAttribute("aria-label", `Position in ${name}`);

    const time = document.createElement("span");
    time.className = "audiotable-time";
    time.textContent = `${clock(0, total)} / ${clock(total, total)}`;

    player.append(button, bar, time);
    audio.after(player);

    const waveform = waveformOf(audio);
    const progress = waveform?.querySelector(".audiotable-progress");
    const columns = waveform ? waveform.viewBox.baseVal.width : 0;
    if (waveform) enableSeeking(waveform, audio, total);

    const show = () => {
      const now = audio.currentTime;
      if (progress && total) {
        progress.setAttribute("width", String((columns * Math.min(now, total)) / total));
      }
      bar.value = String(now);
      bar.setAttribute("aria-valuetext", `${clock(now, total)} of ${clock(total, total)}`);
      time.textContent = `${clock(now, total)} / ${clock(total, total)}`;
    };
    const state = () => {
      const playing = !audio.paused && !audio.ended;
      player.dataset.state = playing ? "playing" : "paused";
      button.setAttribute("aria-label", `${playing ? "Pause" : "Play"} ${name}`);
      button.setAttribute("aria-pressed", String(playing));
    };

    // A blind table reshuffled: the clip has a new letter.
    audio.addEventListener("audiotable:renamed", () => {
      name = nameOf(audio, index);
      player.setAttribute("aria-label", name);
      bar.setAttribute("aria-label", `Position in ${name}`);
      state();
    });
    button.addEventListener("click", () => toggle(audio));
    bar.addEventListener("input", () => seek(audio, Number(bar.value)));
    audio.addEventListener("timeupdate", show);
    audio.addEventListener("seeked", show);
    audio.addEventListener("play", state);
    audio.addEventListener("pause", state);
    audio.addEventListener("ended", state);
    show();
    return player;
  }

  /**
   * Click a waveform to seek; drag across it to loop that passage in the whole row.
   * The range input stays the labelled control; the keys set loops too.
   * @param {SVGElement} waveform @param {HTMLAudioElement} audio @param {number} total
   */
  function enableSeeking(waveform, audio, total) {
    /** @param {PointerEvent} event */
    const at = (event) => {
      const box = waveform.getBoundingClientRect();
      if (!box.width || !total) return 0;
      return Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) * total;
    };
    /** @type {{x: number, time: number} | null} */
    let pressed = null;
    waveform.addEventListener("pointerdown", (event) => {
      waveform.setPointerCapture(event.pointerId);
      pressed = { x: event.clientX, time: at(event) };
    });
    waveform.addEventListener("pointermove", (event) => {
      if (!pressed || !waveform.hasPointerCapture(event.pointerId)) return;
      if (Math.abs(event.clientX - pressed.x) > 4) {
        const [from, to] = [pressed.time, at(event)].sort((a, b) => a - b);
        const lead = leadOf(audio);
        setLoop(audio, { from: Math.max(0, from - lead), to: to - lead });
      }
    });
    waveform.addEventListener("pointerup", (event) => {
      if (pressed && Math.abs(event.clientX - pressed.x) <= 4) seek(audio, at(event));
      pressed = null;
    });
    waveform.classList.add("audiotable-seekable");
  }

  /** @param {HTMLAudioElement} audio */
  function loudnessOf(audio) {
    const level = Number.parseFloat(audio.dataset.loudness ?? "");
    return Number.isFinite(level) ? level : null;
  }

  function matchingWanted() {
    try {
      return localStorage.getItem(MATCHING_KEY) !== "off";
    } catch {
      return true; // storage refused (private mode): matching stays on
    }
  }

  /** @param {boolean} on */
  function rememberMatching(on) {
    try {
      localStorage.setItem(MATCHING_KEY, on ? "on" : "off");
    } catch {
      // not remembered; the table still switches
    }
  }

  /** dB as the control shows it: "−3.2 dB". */
  /** @param {number} gain */
  function decibels(gain) {
    return `${gain < 0 ? "\u2212" : ""}${Math.abs(gain).toFixed(1)} dB`;
  }

  /**
   * Every clip at the loudness of the table's quietest, by lowering its gain (never
   * raising it: nothing clips). Returns false when there is nothing to match.
   * @param {HTMLAudioElement[]} clips @param {boolean} on
   */
  function matchLoudness(clips, on) {
    const measured = clips.map(loudnessOf).filter((level) => level !== null);
    if (measured.length < 2) return false;
    const quietest = Math.min(...measured);
    for (const clip of clips) {
      const level = loudnessOf(clip);
      const gain = on && level !== null ? Math.min(0, quietest - level) : 0;
      levels.set(clip, 10 ** (gain / 20));
      const node = gains.get(clip);
      const voice = voices.get(rowOf(clip));
      if (voice?.audio === clip) ramp(voice.gain, levelOf(clip));
      else if (node && !clip.paused) ramp(node, levelOf(clip));
      if (!graphed) clip.volume = levelOf(clip); // the gain node's job where there is one
      const shown = clip.nextElementSibling?.querySelector(".audiotable-gain");
      if (shown) shown.textContent = on && gain < -0.05 ? decibels(gain) : "";
    }
    return true;
  }

  /** The per-table switch for loudness matching, before the table. */
  /** @param {HTMLTableElement} table @param {HTMLAudioElement[]} clips */
  function addMatchingSwitch(table, clips) {
    if (table.classList.contains("audiotable-blind")) {
      // Always matched, and silently: a louder clip, or the note of how much
      // quieter it plays, would give the answer away (generated masters are loud).
      matchLoudness(clips, true);
      return;
    }
    for (const clip of clips) {
      const gain = document.createElement("span");
      gain.className = "audiotable-gain";
      gain.title = "Played quieter to match the table's quietest clip";
      clip.nextElementSibling?.append(gain);
    }
    let on = matchingWanted();
    if (!matchLoudness(clips, on)) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "audiotable-matching";
    const show = () => {
      button.setAttribute("aria-pressed", String(on));
      button.textContent = on ? "Loudness matched" : "Loudness as published";
    };
    button.addEventListener("click", () => {
      on = !on;
      rememberMatching(on);
      matchLoudness(clips, on);
      show();
    });
    show();
    toolsOf(table).prepend(button);
  }

  /**
   * The table's switch between waveforms and spectrograms, when it has them. The
   * pictures are black ink: inverted where the waveforms are drawn light (a dark
   * theme).
   * @param {HTMLTableElement} table
   */
  function addSpectrumSwitch(table) {
    const pictures = Array.from(table.querySelectorAll("image.audiotable-spectrum"));
    if (!pictures.length) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "audiotable-view";
    button.textContent = "Spectrum";
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => {
      const on = button.getAttribute("aria-pressed") !== "true";
      for (const picture of pictures) {
        const href = picture instanceof SVGElement ? picture.dataset.href : null;
        if (on && href && !picture.getAttribute("href")) picture.setAttribute("href", href);
      }
      const ink = getComputedStyle(pictures[0].closest("svg") ?? table).color;
      const [r, g, b] = (ink.match(/[\d.]+/g) ?? []).map(Number);
      table.classList.toggle("audiotable-light-ink", 0.2126 * r + 0.7152 * g + 0.0722 * b > 128);
      table.classList.toggle("audiotable-spectra", on);
      button.setAttribute("aria-pressed", String(on));
    });
    toolsOf(table).append(button);
  }

  /** The row of controls before a table, with its status line for screen readers. */
  /** @param {HTMLTableElement} table */
  function toolsOf(table) {
    const before = table.previousElementSibling;
    if (before?.classList.contains("audiotable-tools")) return before;
    const tools = document.createElement("div");
    tools.className = "audiotable-tools";
    const said = document.createElement("span");
    said.className = "audiotable-said";
    said.setAttribute("role", "status");
    tools.append(said);
    table.before(tools);
    return tools;
  }

  /** @param {HTMLTableElement} table */
  function enhanceTable(table) {
    /** @type {HTMLAudioElement[]} */
    const clips = Array.from(table.querySelectorAll("audio[data-duration]"));
    if (!clips.length) return;
    clips.forEach(enhanceClip);
    toolsOf(table);
    addMatchingSwitch(table, clips);
    addSpectrumSwitch(table);
    const offer = () => offerLink(table, clips);
    table.addEventListener("play", offer, { capture: true, once: true });
    table.addEventListener("audiotable:looped", offer, { once: true });
    table.classList.add("audiotable-enhanced");
    if (!table.hasAttribute("tabindex")) table.tabIndex = 0;
    const said = table.caption?.textContent?.trim() ?? "";
    const caption = said ? `${said}${/[.?!]$/.test(said) ? "" : "."} ` : "";
    table.setAttribute(
      "aria-label",
      `${caption}Audio comparison: Space plays or pauses, keys 1 to ${Math.min(clips.length, 9)} pick a clip, arrows seek, [ and ] loop from or to the playhead, Escape stops looping.`,
    );

    /** The clip keys act on: the one playing here, else the last started here. */
    const active = () =>
      clips.find((clip) => !clip.paused) ||
      (lastStarted && clips.includes(lastStarted) ? lastStarted : clips[0]);

    table.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      const onRange = event.target instanceof HTMLInputElement;
      const digit = Number(event.key);
      if (Number.isInteger(digit) && digit >= 1 && digit <= Math.min(9, clips.length)) {
        // In the order the reader sees them (a blind table's is shuffled).
        const chosen = table.querySelectorAll("audio[data-duration]")[digit - 1];
        if (!(chosen instanceof HTMLAudioElement)) return;
        if (chosen.paused) start(chosen);
        const control = chosen.nextElementSibling?.querySelector("button");
        if (control instanceof HTMLElement) control.focus();
        event.preventDefault();
      } else if (event.key === " " && !(event.target instanceof HTMLButtonElement)) {
        toggle(active());
        event.preventDefault();
      } else if (event.key === "[" || event.key === "]") {
        // A loop from (or to) the playhead; its other end the clip's, or the loop's.
        const clip = active();
        const lead = leadOf(clip);
        const now = Math.max(0, clip.currentTime - lead);
        const loop = loops.get(rowOf(clip)) ?? { from: 0, to: durationOf(clip) - lead };
        setLoop(clip, event.key === "[" ? { from: now, to: loop.to } : { from: loop.from, to: now });
        event.preventDefault();
      } else if (event.key === "Escape" && loops.has(rowOf(active()))) {
        setLoop(active(), null);
        event.preventDefault();
      } else if (!onRange && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
        const clip = active();
        const step = event.key === "ArrowRight" ? SEEK_STEP : -SEEK_STEP;
        seek(clip, Math.max(0, Math.min(durationOf(clip), clip.currentTime + step)));
        event.preventDefault();
      }
    });
  }

  // ----- Blind tables ---------------------------------------------------------

  /**
   * Mulberry32, the build's generator too (blind.py's _Shuffle): the build
   * scrambles the answer with it, and the script unscrambles it the same way.
   * @param {number} seed
   */
  function generator(seed) {
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
  function permutation(next, count) {
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
  function unscramble(attribute) {
    const [seed, payload] = attribute.split(".");
    const next = generator(Number(seed) ^ 0x5eed);
    const bytes = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0) ^ (next() >>> 24));
    return { ...JSON.parse(new TextDecoder().decode(bytes)), bytes };
  }

  /** @typedef {{labels: string[][], answers: number[], bytes: Uint8Array}} Answer */

  /**
   * The reader's session: a seed per visit, shown, so that `#seed=N` in the address
   * replays it (the order of the trials and of their clips); a test may fix it
   * with window.audiotableSeed.
   */
  function visitSeed() {
    const fixed = /** @type {any} */ (window).audiotableSeed;
    if (Number.isInteger(fixed)) return fixed;
    const asked = /(?:^#|&)seed=(\d{1,9})(?:&|$)/.exec(location.hash);
    if (asked) return Number(asked[1]);
    return crypto.getRandomValues(new Uint32Array(1))[0] % 100000;
  }

  /**
   * A blind table's trials in the session's order, each set up, and its score: after
   * each first pick, and for the whole table once every trial has one, with the
   * reader's result token. A sealed study (answer null) only records the picks; a
   * revealed one checks its answer against the commitment the sealed page carried
   * and scores the picks the reader made then.
   * @param {HTMLTableElement} table @param {Answer | null} answer
   * @param {() => number} next @param {number} seed
   */
  function blindTable(table, answer, next, seed) {
    /** @type {HTMLTableRowElement[]} */
    const rows = Array.from(table.querySelectorAll("tr[data-audiotable-trial]"));
    const order = permutation(next, rows.length).map((i) => rows[i]);
    order.forEach((row) => row.parentElement?.append(row));
    /** @type {(number[] | null)[]} each trial's pick, in the page's order */
    const picks = rows.map(() => null);
    /** @type {number[]} */
    const choices = [];
    const hits = () =>
      answer ? picks.filter((pick, trial) => pick && pick[0] === answer.answers[trial]).length : 0;
    const said = toolsOf(table).querySelector(".audiotable-said");
    const replay = `Session ${seed}: #${table.id}&seed=${seed} replays it.`;
    for (const row of order) {
      const trial = Number(row.dataset.audiotableTrial) - 1;
      if (!(trial in picks) || (answer && !answer.labels[trial])) continue;
      choices[trial] = row.querySelectorAll(":scope > td").length;
      const labels = answer ? answer.labels[trial] : null;
      const asked = answer ? answer.answers[trial] : -1;
      blindTrial(row, labels, asked, next, (place, ms) => {
        picks[trial] = [place, ms];
        const done = picks.filter(Boolean).length;
        const counted = choices.filter((_, i) => picks[i]);
        const chance = byGuessing(counted, hits());
        const score = `${hits()} of ${done} \u2014 ${percent(chance)} % chance by guessing.`;
        if (said) said.textContent = replay; // said once the reader picks: no shift
        if (done < rows.length) return answer ? score : "";
        const token = resultToken(table, seed, picks);
        keep(`audiotable-${answer ? "result" : "sealed"}:${table.dataset.audiotableKey}`, token);
        offerResult(table, token);
        if (answer && said) {
          const [low, high] = interval(done, hits());
          said.textContent =
            `${done === 1 ? "The trial" : `All ${done} trials`}: ${score} Your hit rate, 95 % interval: ` +
            `${percent(low)}\u2013${percent(high)} %. ${replay}`;
        }
        return answer ? score : "";
      });
    }
    if (answer && table.dataset.audiotableCommitment) revealStudy(table, answer, choices);
  }

  /**
   * A reader's result on a table, as `pelican-audiotable results add` reads it:
   * "AT1." and base64url JSON of the table's key, its study's commitment, the
   * session and each trial's pick (the clip's place in the page, and the
   * milliseconds from the trial's first sound). Nothing personal.
   * @param {HTMLTableElement} table @param {number} seed @param {(number[] | null)[]} picks
   */
  function resultToken(table, seed, picks) {
    const data = {
      v: 1,
      k: table.dataset.audiotableKey || "",
      c: table.dataset.audiotableCommitment || "",
      s: seed,
      p: picks,
    };
    const text = btoa(JSON.stringify(data));
    return `AT1.${text.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
  }

  /** A token read back (from this browser's storage); null if it is none. */
  /** @param {string | null} token @returns {{p: (number[] | null)[], c: string} | null} */
  function readToken(token) {
    try {
      const text = (token || "").slice(4).replace(/-/g, "+").replace(/_/g, "/");
      const data = JSON.parse(atob(text));
      return Array.isArray(data.p) ? data : null;
    } catch {
      return null;
    }
  }

  /** @param {string} key @param {string} value */
  function keep(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      // storage refused (private mode, a full quota): the token is still shown
    }
  }

  /**
   * The reader's token under the table: copy it, or send it where the author
   * collects them (data-audiotable-send: a form service's address, or mailto:).
   * @param {HTMLTableElement} table @param {string} token
   */
  function offerResult(table, token) {
    let box = table.parentElement?.querySelector(".audiotable-token");
    if (!box) {
      box = document.createElement("p");
      box.className = "audiotable-token";
      (table.nextElementSibling?.classList.contains("audiotable-results")
        ? table.nextElementSibling
        : table
      ).after(box);
    }
    const code = document.createElement("code");
    code.textContent = token;
    const copy = document.createElement("button");
    copy.type = "button";
    copy.textContent = "Copy";
    const status = document.createElement("span");
    status.setAttribute("role", "status");
    copy.addEventListener("click", () => {
      navigator.clipboard?.writeText(token).then(
        () => (status.textContent = "Copied."),
        () => (status.textContent = "Select it to copy it."),
      );
    });
    box.replaceChildren("Your result, to share with the author: ", code, " ", copy);
    const send = table.dataset.audiotableSend || "";
    if (send.startsWith("mailto:")) {
      const mail = document.createElement("a");
      const body = encodeURIComponent(`${token}\n\n${location.href.split("#")[0]}`);
      mail.href = `${send}${send.includes("?") ? "&" : "?"}subject=Listening%20test%20result&body=${body}`;
      mail.textContent = "Send by e-mail";
      box.append(" ", mail);
    } else if (/^https?:/.test(send)) {
      const post = document.createElement("button");
      post.type = "button";
      post.textContent = "Send";
      post.addEventListener("click", () => {
        post.disabled = true;
        const form = new URLSearchParams({ token, page: location.href.split("#")[0] });
        fetch(send, { method: "POST", mode: "no-cors", body: form }).then(
          () => (status.textContent = "Sent. Thank you."),
          () => ((status.textContent = "Not sent: copy it instead."), (post.disabled = false)),
        );
      });
      box.append(" ", post);
    }
    box.append(" ", status);
  }

  /**
   * A revealed study: its answer checked against the commitment (a salted SHA-256
   * the sealed page carried), and the picks this browser kept while it was sealed
   * scored.
   * @param {HTMLTableElement} table @param {Answer} answer @param {number[]} choices
   */
  function revealStudy(table, answer, choices) {
    const box = document.createElement("p");
    box.className = "audiotable-study";
    box.setAttribute("role", "status");
    table.after(box);
    const salt = new TextEncoder().encode(`${table.dataset.audiotableSalt || ""}:`);
    const committed = new Uint8Array(salt.length + answer.bytes.length);
    committed.set(salt);
    committed.set(answer.bytes, salt.length);
    const subtle = window.crypto?.subtle;
    if (!subtle) {
      box.textContent = "This browser cannot check the answer against the study's commitment.";
      return;
    }
    subtle.digest("SHA-256", committed).then((digest) => {
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
      const matches = hex === table.dataset.audiotableCommitment;
      let text = matches
        ? "The answer matches the commitment the study published before it was revealed."
        : "The answer does NOT match the commitment the study published: it was changed.";
      let stored = null;
      try {
        stored = readToken(localStorage.getItem(`audiotable-sealed:${table.dataset.audiotableKey}`));
      } catch {
        // no storage
      }
      if (matches && stored && stored.c === table.dataset.audiotableCommitment) {
        const made = stored.p.map((pick, trial) => (pick ? trial : -1)).filter((t) => t >= 0);
        const right = made.filter((trial) => stored?.p[trial]?.[0] === answer.answers[trial]).length;
        const chance = byGuessing(made.map((trial) => choices[trial] || 2), right);
        text += ` Your picks while it was sealed: ${right} of ${made.length} \u2014 ${percent(chance)} % chance by guessing.`;
      }
      box.dataset.matches = String(matches);
      box.textContent = text;
    });
  }

  /**
   * The chance of getting at least `right` of these trials right by guessing:
   * each trial's is one in its number of choices (an exact Poisson-binomial tail).
   * @param {number[]} choices @param {number} right
   */
  function byGuessing(choices, right) {
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
  function interval(n, right) {
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
  function percent(p) {
    const value = p * 100;
    return value >= 10 ? String(Math.round(value)) : value.toPrecision(2);
  }

  /**
   * One trial (a row of a blind table): its cells shuffled and lettered, choice
   * buttons under it, and the reveal after a choice. The first pick is `record`ed
   * (its cell's place in the page, and the time since the row first sounded; the
   * table's score is said back); one after "Try again" is practice. A sealed
   * study's trial (labels null) records its one pick and reveals nothing.
   * @param {HTMLTableRowElement} row @param {string[] | null} labels @param {number} answer
   * @param {() => number} next @param {(place: number, ms: number) => string} record
   */
  function blindTrial(row, labels, answer, next, record) {
    let picked = false;
    let sounded = 0;
    row.addEventListener("playing", () => (sounded ||= performance.now()), true);
    /** @type {HTMLTableCellElement[]} */
    const cells = Array.from(row.querySelectorAll(":scope > td"));
    const facts = new Map(
      cells.map((cell, i) => [cell, { label: labels ? labels[i] : "", asked: i === answer }]),
    );
    const choices = document.createElement("tr");
    choices.className = "audiotable-choices";
    const box = document.createElement("td");
    box.colSpan = row.cells.length;
    const prompt = document.createElement("span");
    prompt.className = "audiotable-prompt";
    prompt.textContent = "Your pick:";
    const verdict = document.createElement("p");
    verdict.className = "audiotable-verdict";
    verdict.setAttribute("role", "status");
    const again = document.createElement("button");
    again.type = "button";
    again.className = "audiotable-again";
    again.textContent = "Try again";
    again.hidden = true;
    /** @type {HTMLButtonElement[]} */
    const buttons = cells.map(() => {
      const button = document.createElement("button");
      button.type = "button";
      button.addEventListener("click", () => choose(button));
      return button;
    });
    box.append(prompt, ...buttons, again, verdict);
    choices.append(box);
    row.after(choices);

    /** The cells in a new order, each named by its place: A, B, … */
    const shuffle = () => {
      const order = permutation(next, cells.length).map((i) => cells[i]);
      row.append(...order);
      order.forEach((cell, place) => {
        const letter = LETTERS[place % LETTERS.length];
        cell.dataset.audiotableWhere = `Clip ${letter}`;
        const audio = cell.querySelector("audio");
        if (audio) {
          audio.dataset.audiotableColumn = letter;
          audio.setAttribute("aria-label", `Clip ${letter}`);
          audio.dispatchEvent(new Event("audiotable:renamed"));
        }
        const label = cell.querySelector(".audiotable-caption .audiotable-label");
        if (label) label.textContent = `Clip ${letter}`;
        buttons[place].textContent = letter;
        buttons[place].dataset.audiotableChoice = letter;
        buttons[place].setAttribute("aria-label", `Pick clip ${letter}`);
      });
    };

    /** @param {HTMLButtonElement} button */
    const choose = (button) => {
      const letter = button.dataset.audiotableChoice;
      const cell = cells.find((c) => c.dataset.audiotableWhere === `Clip ${letter}`);
      if (!cell) return;
      if (!labels) {
        // A sealed study: the pick is kept, and nothing is said of it.
        record(cells.indexOf(cell), sounded ? Math.round(performance.now() - sounded) : 0);
        verdict.textContent = `Recorded: ${cell.dataset.audiotableWhere}. The answers come when the study is revealed.`;
        for (const other of buttons) {
          other.disabled = true;
          other.setAttribute("aria-pressed", String(other === button));
        }
        return;
      }
      const right = facts.get(cell)?.asked === true;
      for (const each of cells) {
        const fact = facts.get(each);
        const shown = document.createElement("span");
        shown.className = "audiotable-revealed";
        shown.dataset.asked = String(!!fact?.asked);
        shown.textContent = fact?.label ?? "";
        each.querySelector(".audiotable-caption")?.append(shown);
      }
      const asked = cells.find((c) => facts.get(c)?.asked);
      const ms = sounded ? Math.round(performance.now() - sounded) : 0;
      const score = picked ? "Practice: not counted." : record(cells.indexOf(cell), ms);
      picked = true;
      const answer = asked ? `${asked.dataset.audiotableWhere} is ${facts.get(asked)?.label}. ` : "";
      verdict.dataset.right = String(right);
      verdict.textContent = `${right ? "Right" : "Not this time"}: ${answer}${score}`;
      for (const other of buttons) {
        other.disabled = true;
        other.setAttribute("aria-pressed", String(other === button));
      }
      again.hidden = false;
      again.focus();
    };

    again.addEventListener("click", () => {
      for (const audio of row.querySelectorAll("audio")) stop(audio);
      for (const shown of row.querySelectorAll(".audiotable-revealed")) shown.remove();
      verdict.textContent = "";
      delete verdict.dataset.right;
      for (const button of buttons) {
        button.disabled = false;
        button.removeAttribute("aria-pressed");
      }
      again.hidden = true;
      shuffle();
      buttons[0].focus();
    });
    shuffle();
  }

  /**
   * A blind table's answer, unscrambled, with the no-JS reveals taken out of the
   * page; null when the attribute is damaged (the table then stays as without
   * JavaScript).
   * @param {HTMLTableElement} table
   */
  function takeAnswer(table) {
    try {
      const answer = unscramble(table.dataset.audiotableBlind || "");
      if (!Array.isArray(answer.answers) || !Array.isArray(answer.labels)) return null;
      for (const reveal of table.querySelectorAll("details.audiotable-reveal")) reveal.remove();
      return answer;
    } catch {
      return null;
    }
  }

  function init() {
    const seed = visitSeed();
    document.addEventListener(
      "playing",
      () => {
        if (!watching) requestAnimationFrame(keepToLoops);
        watching = true;
      },
      true,
    );
    const next = generator(seed);
    for (const table of document.querySelectorAll("table.audiotable")) {
      if (!(table instanceof HTMLTableElement)) continue;
      const blind = table.classList.contains("audiotable-blind");
      const sealed = blind && /\.sealed$/.test(table.dataset.audiotableBlind || "");
      const answer = blind && !sealed ? takeAnswer(table) : null;
      enhanceTable(table);
      if (answer || sealed) blindTable(table, answer, next, seed);
    }
    followAddress();
    window.addEventListener("hashchange", followAddress);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
