// @ts-check
/**
 * pelican-audiotable: listening side by side.
 *
 * Progressive enhancement of the tables the plugin annotated (table.audiotable,
 * audio[data-duration]). Without this script the native players and the build-time
 * durations still work; with it:
 *  - only one clip plays at a time (native players included);
 *  - each clip gets a compact control: play/pause, a seekable bar, and elapsed/total
 *    time that shows the build-time duration before anything is downloaded;
 *  - switching between clips of one row or column continues at the same musical
 *    moment (positions aligned by each clip's leading silence) when their lengths
 *    match within 2 %, as listening-test tools do;
 *  - clips play loudness-matched (audio[data-loudness], measured at build time):
 *    each at the loudness of the quietest clip of its table, by attenuation only;
 *    a toggle per table turns it off, and the choice is remembered for the site;
 *  - a waveform (svg.audiotable-waveform) shows the progress and seeks on a click
 *    or drag;
 *  - keys, inside a table: Space plays/pauses, 1–9 pick a clip, arrows seek 5 s.
 * Nothing is fetched until the reader presses play.
 */
(() => {
  "use strict";

  const MATCH_TOLERANCE = 0.02;
  const SEEK_STEP = 5;
  const MATCHING_KEY = "audiotable-loudness-matching";

  /** @type {HTMLAudioElement | null} the clip last started anywhere on the page */
  let lastStarted = null;

  /** m:ss, whole seconds cut as native players do (the captions' rule too). */
  /** @param {number} seconds */
  function clock(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return "0:00";
    const whole = Math.floor(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  /** @param {HTMLAudioElement} audio */
  function durationOf(audio) {
    const known = Number(audio.dataset.duration);
    return Number.isFinite(known) && known > 0 ? known : audio.duration;
  }

  /** The clip's name for people: its row and column, as the table says. */
  /** @param {HTMLAudioElement} audio @param {number} index */
  function nameOf(audio, index) {
    const parts = [audio.dataset.audiotableRow, audio.dataset.audiotableColumn].filter(
      Boolean,
    );
    return parts.length ? parts.join(", ") : audio.dataset.title || `clip ${index + 1}`;
  }

  /** The clip's waveform, drawn at build time after its player. */
  /** @param {HTMLAudioElement} audio */
  function waveformOf(audio) {
    for (let node = audio.nextElementSibling; node; node = node.nextElementSibling) {
      if (node instanceof SVGElement && node.classList.contains("audiotable-waveform")) {
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

  /** Start a clip at the moment a comparable clip had reached. */
  /** @param {HTMLAudioElement} audio */
  function start(audio) {
    const previous = lastStarted;
    if (previous && previous !== audio && comparable(previous, audio)) {
      const moment = previous.currentTime - leadOf(previous);
      const position = Math.max(0, moment + leadOf(audio));
      if (previous.currentTime > 0 && position < durationOf(audio)) seek(audio, position);
    }
    const playing = audio.play();
    if (playing) playing.catch(() => {});
  }

  /** Seek now, or as soon as the clip knows its length (nothing is loaded before play). */
  /** @param {HTMLAudioElement} audio @param {number} position */
  function seek(audio, position) {
    if (audio.readyState >= HTMLMediaElement.HAVE_METADATA) {
      audio.currentTime = position;
    } else {
      audio.addEventListener("loadedmetadata", () => (audio.currentTime = position), {
        once: true,
      });
    }
  }

  /** @param {HTMLAudioElement} audio */
  function toggle(audio) {
    if (audio.paused) start(audio);
    else audio.pause();
  }

  // One clip at a time, for every <audio> of the page (enhanced or not).
  document.addEventListener(
    "play",
    (event) => {
      const target = event.target;
      if (!(target instanceof HTMLAudioElement)) return;
      for (const other of document.querySelectorAll("audio")) {
        if (other !== target && !other.paused) other.pause();
      }
      lastStarted = target;
    },
    true,
  );

  /** @param {HTMLAudioElement} audio @param {number} index */
  function enhanceClip(audio, index) {
    const name = nameOf(audio, index);
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
    time.textContent = `0:00 / ${clock(total)}`;

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
      bar.setAttribute("aria-valuetext", `${clock(now)} of ${clock(total)}`);
      time.textContent = `${clock(now)} / ${clock(total)}`;
    };
    const state = () => {
      const playing = !audio.paused && !audio.ended;
      player.dataset.state = playing ? "playing" : "paused";
      button.setAttribute("aria-label", `${playing ? "Pause" : "Play"} ${name}`);
      button.setAttribute("aria-pressed", String(playing));
    };

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

  /** Click or drag on a waveform to seek; the range input stays the labelled control. */
  /** @param {SVGElement} waveform @param {HTMLAudioElement} audio @param {number} total */
  function enableSeeking(waveform, audio, total) {
    /** @param {PointerEvent} event */
    const seekTo = (event) => {
      const box = waveform.getBoundingClientRect();
      if (!box.width || !total) return;
      const share = Math.max(0, Math.min(1, (event.clientX - box.left) / box.width));
      seek(audio, share * total);
    };
    waveform.addEventListener("pointerdown", (event) => {
      waveform.setPointerCapture(event.pointerId);
      seekTo(event);
    });
    waveform.addEventListener("pointermove", (event) => {
      if (waveform.hasPointerCapture(event.pointerId)) seekTo(event);
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
   * Every clip at the loudness of the table's quietest, by lowering its volume
   * (never raising it: nothing clips). Returns false when there is nothing to match.
   * @param {HTMLAudioElement[]} clips @param {boolean} on
   */
  function matchLoudness(clips, on) {
    const levels = clips.map(loudnessOf).filter((level) => level !== null);
    if (levels.length < 2) return false;
    const quietest = Math.min(...levels);
    for (const clip of clips) {
      const level = loudnessOf(clip);
      const gain = on && level !== null ? Math.min(0, quietest - level) : 0;
      clip.volume = 10 ** (gain / 20);
      const shown = clip.nextElementSibling?.querySelector(".audiotable-gain");
      if (shown) shown.textContent = on && gain < -0.05 ? decibels(gain) : "";
    }
    return true;
  }

  /** The per-table switch for loudness matching, before the table. */
  /** @param {HTMLTableElement} table @param {HTMLAudioElement[]} clips */
  function addMatchingSwitch(table, clips) {
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
    const tools = document.createElement("div");
    tools.className = "audiotable-tools";
    tools.append(button);
    table.before(tools);
  }

  /** @param {HTMLTableElement} table */
  function enhanceTable(table) {
    /** @type {HTMLAudioElement[]} */
    const clips = Array.from(table.querySelectorAll("audio[data-duration]"));
    if (!clips.length) return;
    clips.forEach(enhanceClip);
    addMatchingSwitch(table, clips);
    table.classList.add("audiotable-enhanced");
    if (!table.hasAttribute("tabindex")) table.tabIndex = 0;
    const caption = table.caption ? `${table.caption.textContent}. ` : "";
    table.setAttribute(
      "aria-label",
      `${caption}Audio comparison: Space plays or pauses, keys 1 to ${Math.min(clips.length, 9)} pick a clip, arrows seek.`,
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
        const chosen = clips[digit - 1];
        if (chosen.paused) start(chosen);
        const control = chosen.nextElementSibling?.querySelector("button");
        if (control instanceof HTMLElement) control.focus();
        event.preventDefault();
      } else if (event.key === " " && !(event.target instanceof HTMLButtonElement)) {
        toggle(active());
        event.preventDefault();
      } else if (!onRange && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
        const clip = active();
        const step = event.key === "ArrowRight" ? SEEK_STEP : -SEEK_STEP;
        seek(clip, Math.max(0, Math.min(durationOf(clip), clip.currentTime + step)));
        event.preventDefault();
      }
    });
  }

  function init() {
    for (const table of document.querySelectorAll("table.audiotable")) {
      if (table instanceof HTMLTableElement) enhanceTable(table);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
