// @ts-check
/**
 * The controls a table gets: each clip a compact player (play/pause, a seekable
 * bar, elapsed/total time showing the build-time length before anything is
 * downloaded), its waveform seeking on a click and looping on a drag, a row of
 * tools before the table (loudness matching, spectra, "Copy link"), and keys:
 * Space plays/pauses, 1-9 pick a clip, arrows seek 5 s, [ and ] loop from or to
 * the playhead, Escape stops looping.
 */
import { clock } from "./clock.js";
import { durationOf, leadOf, nameOf, toolsOf, waveformOf } from "./clips.js";
import { enroll, heardTime, latest, seek, setLoop, start, toggle } from "./engine.js";
import { rowLoop } from "./loops.js";
import { addMatchingSwitch } from "./matching.js";

const SEEK_STEP = 5;

/** @param {HTMLTableElement} table */
export function enhanceTable(table) {
  /** @type {HTMLAudioElement[]} */
  const clips = Array.from(table.querySelectorAll("audio[data-duration]"));
  if (!clips.length) return;
  clips.forEach(enhanceClip);
  toolsOf(table);
  addMatchingSwitch(table, clips);
  addSpectrumSwitch(table);
  // "Copy link" once the reader has played or looped here: loaded only then.
  const offer = () => import("./links.js").then((links) => links.offerLink(table, clips));
  table.addEventListener("play", offer, { capture: true, once: true });
  table.addEventListener("audiotable:looped", offer, { once: true });
  table.classList.add("audiotable-enhanced");
  if (table.classList.contains("audiotable-wide")) markOverflow(table);
  if (!table.hasAttribute("tabindex")) table.tabIndex = 0;
  // A short name (its caption's, else "Audio comparison"); the keys are its
  // description, said after the name, not instead of it.
  if (!table.caption?.textContent?.trim() && !table.hasAttribute("aria-label")) {
    table.setAttribute("aria-label", "Audio comparison");
  }
  const keys = document.createElement("span");
  keys.className = "audiotable-keys";
  keys.id = `audiotable-keys-${++described}`; // one per table: a page may have many
  keys.hidden = true;
  const columns = clipColumns(table);
  const keyed = columns.length > 1 ? columns.length : clips.length;
  const which = columns.length > 1 ? "a column's clip in the row" : "a clip";
  keys.textContent = `Space plays or pauses, keys 1 to ${Math.min(keyed, 9)} pick ${which}, arrows seek, [ and ] loop from or to the playhead, Escape stops looping.`;
  toolsOf(table).append(keys);
  table.setAttribute("aria-describedby", keys.id);

  /** The clip keys act on: the one playing here, else the last started here. */
  const active = () =>
    clips.find((clip) => !clip.paused) ||
    clips.find((clip) => clip === latest()) ||
    clips[0];

  table.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const onRange = event.target instanceof HTMLInputElement;
    const digit = Number(event.key);
    if (Number.isInteger(digit) && digit >= 1 && digit <= 9) {
      const chosen = byKey(table, active(), digit);
      if (!chosen) return;
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
      const now = Math.max(0, heardTime(clip) - lead);
      const loop = rowLoop(clip) ?? { from: 0, to: durationOf(clip) - lead };
      setLoop(clip, event.key === "[" ? { from: now, to: loop.to } : { from: loop.from, to: now });
      event.preventDefault();
    } else if (event.key === "Escape" && rowLoop(active())) {
      setLoop(active(), null);
      event.preventDefault();
    } else if (!onRange && (event.key === "ArrowRight" || event.key === "ArrowLeft")) {
      const clip = active();
      const step = event.key === "ArrowRight" ? SEEK_STEP : -SEEK_STEP;
      seek(clip, Math.max(0, Math.min(durationOf(clip), heardTime(clip) + step)));
      event.preventDefault();
    }
  });
}

/**
 * A wide table that scrolls sideways marks the sides where more columns are
 * (the stylesheet fades that edge): on load, on a scroll, on a resize.
 * @param {HTMLTableElement} table
 */
function markOverflow(table) {
  const mark = () => {
    const hidden = table.scrollWidth - table.clientWidth;
    table.classList.toggle("audiotable-more-before", table.scrollLeft > 1);
    table.classList.toggle("audiotable-more-after", hidden - table.scrollLeft > 1);
  };
  table.addEventListener("scroll", mark, { passive: true });
  if ("ResizeObserver" in window) new ResizeObserver(mark).observe(table);
  mark();
}

/** Tables given their keys' description so far. */
let described = 0;

/**
 * The cell indexes of the table's columns that hold clips, left to right.
 * @param {HTMLTableElement} table
 */
function clipColumns(table) {
  const columns = new Set();
  for (const audio of table.querySelectorAll("audio[data-duration]")) {
    const cell = audio.closest("td, th");
    if (cell instanceof HTMLTableCellElement) columns.add(cell.cellIndex);
  }
  return [...columns].sort((a, b) => a - b);
}

/**
 * The clip a digit key names, as the reader sees the table: in a grid, the clip
 * in that clip column of the active clip's row (an empty cell keeps its column's
 * number: nothing plays); in a table of one clip column, the digit-th clip. A
 * blind table's cells are in their shuffled order in the page, so in the order
 * seen.
 * @param {HTMLTableElement} table @param {HTMLAudioElement} active @param {number} digit
 */
function byKey(table, active, digit) {
  const columns = clipColumns(table);
  if (columns.length < 2) {
    const clip = table.querySelectorAll("audio[data-duration]")[digit - 1];
    return clip instanceof HTMLAudioElement ? clip : null;
  }
  const row = active.closest("tr");
  const cell = row && columns[digit - 1] !== undefined ? row.cells[columns[digit - 1]] : null;
  const clip = cell?.querySelector("audio[data-duration]");
  return clip instanceof HTMLAudioElement ? clip : null;
}

/** @param {HTMLAudioElement} audio @param {number} index */
function enhanceClip(audio, index) {
  enroll(audio);
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
    const now = heardTime(audio);
    if (progress && total) {
      progress.setAttribute("width", String((columns * Math.min(now, total)) / total));
    }
    bar.value = String(now);
    const said = `${clock(now, total)} / ${clock(total, total)}`;
    if (time.textContent === said) return; // each frame: words only when they change
    bar.setAttribute("aria-valuetext", `${clock(now, total)} of ${clock(total, total)}`);
    time.textContent = said;
  };
  // Each frame while it plays (an engine's "timeupdate" comes 4 times a second:
  // the playhead would trail what is heard by up to a quarter of a second).
  const follow = () => {
    show();
    if (!audio.paused) requestAnimationFrame(follow);
  };
  const state = () => {
    const playing = !audio.paused && !audio.ended;
    player.dataset.state = playing ? "playing" : "paused";
    // A toggle keeps its name; its state is aria-pressed (a name that changed
    // too would be announced twice: "Pause …, pressed").
    button.setAttribute("aria-label", `Play ${name}`);
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
  audio.addEventListener("play", () => requestAnimationFrame(follow));
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
