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
 *  - switching between clips of one row or column continues at the same position
 *    when their durations match within 2 %, as listening-test tools do;
 *  - keys, inside a table: Space plays/pauses, 1–9 pick a clip, arrows seek 5 s.
 * Nothing is fetched until the reader presses play.
 */
(() => {
  "use strict";

  const MATCH_TOLERANCE = 0.02;
  const SEEK_STEP = 5;

  /** @type {HTMLAudioElement | null} the clip last started anywhere on the page */
  let lastStarted = null;

  /** @param {number} seconds */
  function clock(seconds) {
    if (!Number.isFinite(seconds) || seconds < 0) return "0:00";
    const whole = Math.round(seconds);
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

  /** Same row or same column, and lengths within 2 %: positions correspond. */
  /** @param {HTMLAudioElement} a @param {HTMLAudioElement} b */
  function comparable(a, b) {
    if (a === b || a.closest("table") !== b.closest("table")) return false;
    const sameRow = !!a.dataset.audiotableRow && a.dataset.audiotableRow === b.dataset.audiotableRow;
    const sameColumn =
      !!a.dataset.audiotableColumn && a.dataset.audiotableColumn === b.dataset.audiotableColumn;
    if (!sameRow && !sameColumn) return false;
    const da = durationOf(a);
    const db = durationOf(b);
    return Math.abs(da - db) <= MATCH_TOLERANCE * Math.max(da, db);
  }

  /** Start a clip, carrying the position over from a comparable clip. */
  /** @param {HTMLAudioElement} audio */
  function start(audio) {
    const previous = lastStarted;
    if (previous && previous !== audio && comparable(previous, audio)) {
      const position = previous.currentTime;
      if (position > 0 && position < durationOf(audio)) seek(audio, position);
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

    const show = () => {
      const now = audio.currentTime;
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

  /** @param {HTMLTableElement} table */
  function enhanceTable(table) {
    /** @type {HTMLAudioElement[]} */
    const clips = Array.from(table.querySelectorAll("audio[data-duration]"));
    if (!clips.length) return;
    clips.forEach(enhanceClip);
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
