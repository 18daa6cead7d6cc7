// @ts-check
/**
 * pelican-audiotable: listening side by side. The page's one script, a module
 * that loads the others it needs (no build step: what ships is what is written).
 *
 * Progressive enhancement of the tables the plugin annotated (table.audiotable,
 * audio[data-duration]). Without this script the native players and the build-time
 * durations still work; with it:
 *  - only one clip plays at a time, native players included, and nothing clicks
 *    (engine.js);
 *  - each clip gets a compact control, a waveform that seeks and loops, and the
 *    table keys and a row of tools (controls.js, loops.js);
 *  - switching between clips of one row or column continues at the same musical
 *    moment (positions aligned by each clip's leading silence) when their lengths
 *    match within 2 %, as listening-test tools do, from a row's first switch at
 *    the same sample (engine.js);
 *  - clips play loudness-matched (matching.js);
 *  - links to a moment, and "Copy link" (links.js, loaded when the address names
 *    a moment, or once the reader plays);
 *  - blind tables, with their shuffles, scores and result tokens, loaded only on
 *    pages that have one (blind/).
 * Nothing is fetched until the reader presses play.
 */
import { enhanceTable } from "./controls.js";
import { listen } from "./engine.js";

async function init() {
  listen();
  /** @type {HTMLTableElement[]} */
  const tables = Array.from(document.querySelectorAll("table.audiotable"));
  tables.forEach(enhanceTable);
  const blind = tables.filter((table) => table.classList.contains("audiotable-blind"));
  if (blind.length) {
    const { setUpBlindTables } = await import("./blind/tables.js");
    setUpBlindTables(blind);
  }
  // Listening first: a malformed address now must not stop the next one.
  window.addEventListener("hashchange", followAddress);
  await followAddress();
}

/** The moment the address names, if it names one (links.js loaded only then). */
async function followAddress() {
  if (!/[#&]t=/.test(location.hash)) return;
  const links = await import("./links.js");
  links.followAddress();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init);
} else {
  init();
}
