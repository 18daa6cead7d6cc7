// @ts-check
/**
 * What the page says of a clip and its table, as the build wrote it: its length,
 * its name, its waveform and leading silence, its row, and the row of controls
 * before its table. Reads the page; keeps no state.
 */

/** Sounding lengths within this share of each other: positions correspond. */
const MATCH_TOLERANCE = 0.02;

/** @param {HTMLMediaElement} audio */
export function durationOf(audio) {
  const known = Number(audio.dataset.duration);
  return Number.isFinite(known) && known > 0 ? known : audio.duration;
}

/**
 * The clip's name for people: its row and column, as the table says.
 * @param {HTMLAudioElement} audio @param {number} index
 */
export function nameOf(audio, index) {
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

/**
 * The clip's waveform, drawn at build time after its player.
 * @param {HTMLMediaElement} audio
 */
export function waveformOf(audio) {
  for (let node = audio.nextElementSibling; node; node = node.nextElementSibling) {
    if (node instanceof SVGSVGElement && node.classList.contains("audiotable-waveform")) {
      return node;
    }
    if (node instanceof HTMLAudioElement) break;
  }
  return null;
}

/**
 * Seconds of silence before the clip's sound starts (0 when not measured).
 * @param {HTMLMediaElement} audio
 */
export function leadOf(audio) {
  const lead = Number(waveformOf(audio)?.dataset.lead);
  return Number.isFinite(lead) && lead > 0 ? lead : 0;
}

/**
 * Same row or same column, and sounding lengths within 2 %: positions correspond.
 * @param {HTMLMediaElement} a @param {HTMLMediaElement} b
 */
export function comparable(a, b) {
  if (a === b || a.closest("table") !== b.closest("table")) return false;
  const sameRow = !!a.dataset.audiotableRow && a.dataset.audiotableRow === b.dataset.audiotableRow;
  const sameColumn =
    !!a.dataset.audiotableColumn && a.dataset.audiotableColumn === b.dataset.audiotableColumn;
  if (!sameRow && !sameColumn) return false;
  const da = durationOf(a) - leadOf(a);
  const db = durationOf(b) - leadOf(b);
  return Math.abs(da - db) <= MATCH_TOLERANCE * Math.max(da, db);
}

/**
 * The row a clip plays in (a grid's row, a blind trial; a list's one clip).
 * @param {HTMLMediaElement} audio
 * @returns {Element}
 */
export function rowOf(audio) {
  return audio.closest("tr") ?? audio;
}

/**
 * The row of controls before a table, with its status line for screen readers.
 * @param {HTMLTableElement} table
 */
export function toolsOf(table) {
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
