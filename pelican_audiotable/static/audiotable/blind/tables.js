// @ts-check
/**
 * Blind tables (table.audiotable-blind), loaded only on pages that have one: the
 * clips, "A", "B", …, in an order shuffled per visit and always loudness-matched;
 * the reader picks one, then sees every label, whether the pick was right, and
 * the score with the chance of doing as well by guessing; the trials come in an
 * order of the reader's session (#seed=N replays it); "Try again" reshuffles, for
 * practice. The labels come from the table's scrambled data-audiotable-blind
 * attribute (see blind/answer.py), never from the page's text. Once every trial
 * has a pick, the reader gets a result token to copy or send (see
 * blind/results.py); a sealed study records picks and says nothing; a revealed
 * one checks its answer against the commitment the sealed page carried
 * (WebCrypto) and scores the picks kept then.
 */
import { toolsOf } from "../clips.js";
import { stop } from "../engine.js";
import { generator, permutation, unscramble } from "./shuffle.js";
import { byGuessing, interval, percent } from "./stats.js";
import { proveWork, readToken, writeToken } from "./tokens.js";

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** @typedef {import("./shuffle.js").Answer} Answer */

/**
 * Every blind table of the page set up, in the page's order, from one session.
 * @param {HTMLTableElement[]} tables
 */
export function setUpBlindTables(tables) {
  const seed = visitSeed();
  const next = generator(seed);
  for (const table of tables) {
    const sealed = table.dataset.audiotableBlind === "sealed";
    const answer = sealed ? null : takeAnswer(table);
    if (answer || sealed) blindTable(table, answer, next, seed);
  }
}

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
  return crypto.getRandomValues(new Uint32Array(1))[0] % 1000000000;
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
  // The token's proof of work, begun when the reader first listens (or picks).
  /** @type {Promise<{w: number, h: string}> | null} */
  let work = null;
  const startWork = () => {
    const k = table.dataset.audiotableKey || "";
    const rounds = Number(table.dataset.audiotableWork) || undefined;
    work ||= proveWork(k, table.dataset.audiotableCommitment || "", seed, rounds);
    return work;
  };
  table.addEventListener("playing", startWork, { capture: true, once: true });
  const hits = () =>
    answer ? picks.filter((pick, trial) => pick && pick[0] === answer.answers[trial]).length : 0;
  const said = toolsOf(table).querySelector(".audiotable-said");
  // What other readers picked is kept from view until this reader has picked.
  const tallied = resultsOf(table);
  if (tallied) tallied.hidden = true;
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
      if (tallied) {
        tallied.hidden = false;
        tallied.open = true;
      }
      offerResult(table, null);
      startWork().then(
        (proof) => {
          const token = resultToken(table, seed, picks, proof);
          keep(`audiotable-${answer ? "result" : "sealed"}:${table.dataset.audiotableKey}`, token);
          offerResult(table, token);
        },
        () => offerResult(table, ""),
      );
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
 * The tally of other readers' results under a table, if it has one.
 * @param {HTMLTableElement} table @returns {HTMLDetailsElement | null}
 */
function resultsOf(table) {
  const next = table.nextElementSibling;
  return next instanceof HTMLDetailsElement && next.classList.contains("audiotable-results-box")
    ? next
    : null;
}

/**
 * The reader's token for a table.
 * @param {HTMLTableElement} table @param {number} seed @param {(number[] | null)[]} picks
 * @param {{w: number, h: string}} proof its proof of work
 */
function resultToken(table, seed, picks, proof) {
  const k = table.dataset.audiotableKey || "";
  const c = table.dataset.audiotableCommitment || "";
  return writeToken({ v: 2, k, c, s: seed, p: picks, ...proof });
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
 * Null while its proof of work is being found; "" when this browser cannot
 * find one (WebCrypto needs https).
 * @param {HTMLTableElement} table @param {string | null} token
 */
function offerResult(table, token) {
  let box = table.parentElement?.querySelector(".audiotable-token");
  if (!box) {
    box = document.createElement("p");
    box.className = "audiotable-token";
    box.setAttribute("aria-live", "polite");
    (resultsOf(table) || table).after(box);
  }
  if (token === null || token === "") {
    box.textContent =
      token === null
        ? "Sealing your result (a second or two)…"
        : "This browser cannot seal a result (it needs the page over https).";
    return;
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
    });
  };

  /** The clips' waveforms, hidden until the pick: a take's shape is no cue to pick by. */
  const waveforms = (/** @type {boolean} */ shown) => {
    for (const svg of row.querySelectorAll("svg.audiotable-waveform")) {
      if (shown) svg.removeAttribute("visibility");
      else svg.setAttribute("visibility", "hidden");
    }
  };

  /** @param {HTMLButtonElement} button */
  const choose = (button) => {
    const letter = button.dataset.audiotableChoice;
    const cell = cells.find((c) => c.dataset.audiotableWhere === `Clip ${letter}`);
    if (!cell) return;
    waveforms(true);
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
    waveforms(false);
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
