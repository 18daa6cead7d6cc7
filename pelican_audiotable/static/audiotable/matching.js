// @ts-check
/**
 * Loudness matching: every clip of a table at the loudness of its quietest
 * (audio[data-loudness], measured at build time), by attenuation only; a switch
 * per table turns it off, and the choice is remembered for the site. A blind
 * table is always matched, and says nothing of it.
 */
import { toolsOf } from "./clips.js";
import { setLevel } from "./engine.js";

const MATCHING_KEY = "audiotable-loudness-matching";

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
    setLevel(clip, 10 ** (gain / 20));
    const shown = clip.nextElementSibling?.querySelector(".audiotable-gain");
    if (shown) shown.textContent = on && gain < -0.05 ? decibels(gain) : "";
  }
  return true;
}

/** The per-table switch for loudness matching, before the table. */
/** @param {HTMLTableElement} table @param {HTMLAudioElement[]} clips */
export function addMatchingSwitch(table, clips) {
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
