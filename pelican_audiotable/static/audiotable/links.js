// @ts-check
/**
 * Links to a moment: #t=12.5,20 loops that passage in the page's first audio
 * table, #ID&t=… in the table of that id, &clip=2 cues its second clip there (a
 * blind table's links never name a clip); "Copy link" makes one of where the
 * reader is.
 */
import { parseTime, timeField } from "./clock.js";
import { leadOf, toolsOf } from "./clips.js";
import { heardTime, latest, select, setLoop } from "./engine.js";
import { rowLoop } from "./loops.js";

/**
 * The moment or passage the address names, in the spirit of media fragments:
 * `#t=12.5,20` in the page's first audio table, `#ID&t=…` in the table of that
 * id, `&clip=2` its second clip. Times are on the named clip's clock (the first
 * clip's when none is named); a blind table's are on the row's shared clock.
 * The table is scrolled to, the passage looped (or the clip cued at the
 * moment), and nothing plays before the reader presses.
 */
export function followAddress() {
  let id = "";
  /** @type {number | null} */
  let from = null;
  /** @type {number | null} */
  let to = null;
  let number = 0;
  for (const field of location.hash.slice(1).split("&")) {
    const [key, value] = field.split("=");
    if (value === undefined) id = decoded(key);
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
  if (to !== null && to > start) {
    setLoop(clip, { from: start - lead, to: to - lead });
    select(clip);
  } else {
    select(clip, start + (blind ? leadOf(clip) : 0));
  }
  inView(toolsOf(table), clip.closest("tr") ?? table);
  table.focus({ preventScroll: true });
}

/**
 * Scroll so that `first` (the status line above the table) down to `last` (the
 * linked row) is in view, centred when it fits, from its top when it does not:
 * the reader sees the looped row and what is said of it, not the table's middle.
 * @param {Element} first @param {Element} last
 */
function inView(first, last) {
  const top = first.getBoundingClientRect().top;
  const bottom = last.getBoundingClientRect().bottom;
  const height = bottom - top;
  const room = window.innerHeight;
  const margin = height < room ? (room - height) / 2 : 8;
  window.scrollTo({ top: Math.max(0, window.scrollY + top - margin) });
}

/**
 * A fragment's name decoded, or as written when it is no valid escape ("#%").
 * @param {string} text
 */
function decoded(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** "Copy link", once the reader has played or looped in the table. */
/** @param {HTMLTableElement} table @param {HTMLAudioElement[]} clips */
export function offerLink(table, clips) {
  const tools = toolsOf(table);
  if (tools.querySelector(".audiotable-link")) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "audiotable-link";
  button.textContent = "Copy link";
  button.addEventListener("click", () => {
    const blind = table.classList.contains("audiotable-blind");
    const last = latest();
    const clip = clips.find((each) => each === last) ?? clips[0];
    const loop = rowLoop(clip);
    const lead = blind ? 0 : leadOf(clip);
    const time = loop
      ? `${timeField(loop.from + lead)},${timeField(loop.to + lead)}`
      : timeField(heardTime(clip) - (blind ? leadOf(clip) : 0));
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
