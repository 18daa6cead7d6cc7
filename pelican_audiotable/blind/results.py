"""Readers' results without a server. After a blind table, a reader's browser
writes a result token (the table it was taken on, the session's seed, a pick and a
time for each trial; nothing personal) that the reader copies or sends. The author
adds tokens to the site's results file (``pelican-audiotable results add``), and
the next build tallies them under the table: how many readers, how often each
trial was told apart, an exact binomial interval, a histogram of scores.

Every token is untrusted: it is parsed by :func:`parse_token` alone, bounded in
every dimension, and never written into a page, only counted. Pure: text in,
tokens, tallies and HTML out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from ..markup.tokens import escape_attribute, escape_text

PREFIX = "AT1."
VERSION = 2
#: The sessions the listening script draws (``crypto.getRandomValues``): a seed
#: beyond them was made by something else.
MOST_SEED = 999_999_999
#: A token's proof of work: a ``w`` for which PBKDF2-HMAC-SHA256 of the token's
#: table, commitment and session (``WORK_ITERATIONS`` rounds) starts with
#: ``WORK_BITS`` zero bits, and ``h``, the next 64 bits of that digest (so that
#: no ``w`` can be guessed: one in 8 would hold). A reader's browser finds one
#: while they listen (8 tries on average, WebCrypto's native code); checking one
#: costs one try. See the README for what it costs a reader and a forger.
WORK_ITERATIONS = 1_000_000
WORK_BITS = 3
WORK_SALT = b"audiotable-work"
#: A pick this soon after a trial's first sound came before its clips were heard.
HEARD_MILLISECONDS = 1500
#: Bounds on what a token may hold: more is not a reader's result.
MOST_CHARACTERS = 8192
MOST_TRIALS = 200
MOST_CHOICES = 26
MOST_MILLISECONDS = 24 * 3600 * 1000
_TOKEN = re.compile(r"AT1\.[A-Za-z0-9_-]{4,8188}")
_KEY = re.compile(r"[0-9a-f]{16}")
_COMMITMENT = re.compile(r"(?:[0-9a-f]{64})?")
_PROOF = re.compile(r"[0-9a-f]{16}")


class BadToken(ValueError):
    """A token that is not a reader's result: the reason, for the author."""


@dataclass(frozen=True)
class Token:
    """A reader's result on one blind table."""

    table: str  # the table's key (``data-audiotable-key``)
    commitment: str  # its study's commitment; "" for a self-test
    seed: int  # the reader's session
    #: A trial's pick, by its clip's place in the page (before any shuffle),
    #: and the milliseconds from its first sound to the pick; None: not picked.
    picks: tuple[tuple[int, int] | None, ...]
    work: int = 0  # its proof of work (see :func:`work_done`) ...
    proof: str = ""  # ... and the 64 bits of the digest that show it was found

    @property
    def session(self) -> tuple[str, int]:
        """What one reader's visit makes once: a table and a seed."""
        return (self.table, self.seed)


def work_input(table: str, commitment: str, seed: int, work: int) -> bytes:
    return f"AT|{table}|{commitment}|{seed}|{work}".encode()


def work_digest(
    table: str, commitment: str, seed: int, work: int, iterations: int
) -> bytes:
    """One try of a proof of work (about 0.2 s at the default rounds)."""
    text = work_input(table, commitment, seed, work)
    return hashlib.pbkdf2_hmac("sha256", text, WORK_SALT, iterations, 32)


def _found(digest: bytes) -> bool:
    return int.from_bytes(digest[:4], "big") >> (32 - WORK_BITS) == 0


def work_done(token: Token, iterations: int = WORK_ITERATIONS) -> bool:
    """Whether the token's proof of work holds: one try."""
    digest = work_digest(
        token.table, token.commitment, token.seed, token.work, iterations
    )
    return _found(digest) and digest[4:12].hex() == token.proof


def prove_work(
    table: str, commitment: str, seed: int, iterations: int = WORK_ITERATIONS
) -> tuple[int, str]:
    """A proof of work (``w`` and ``h``), found as the reader's browser finds it
    (for tests and for measuring what forging costs)."""
    work = 0
    while not _found(digest := work_digest(table, commitment, seed, work, iterations)):
        work += 1
    return work, digest[4:12].hex()


Results = Mapping[str, Sequence[Token]]
"""Readers' results by the key of the table they were taken on."""


FILE_VERSION = 1
#: A results file larger than this is no collection of readers' tokens.
MOST_RESULTS_BYTES = 64 * 1024 * 1024


def file_text(tokens: Iterable[str]) -> str:
    """A results file: its tokens, one a line, in a JSON list a person can read."""
    listed = ",\n".join(f"    {json.dumps(token)}" for token in tokens)
    return f'{{\n  "version": {FILE_VERSION},\n  "tokens": [\n{listed}\n  ]\n}}\n'


def file_tokens(text: str) -> list[str]:
    """The tokens a results file holds; :class:`BadToken` when it is no results
    file."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise BadToken("it is not JSON") from None
    shape = f'a results file is {{"version": {FILE_VERSION}, "tokens": [...]}}'
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
        raise BadToken(f"it is not a results file ({shape})")
    if data.get("version") != FILE_VERSION:
        raise BadToken(f"it is not a results file of version {FILE_VERSION}")
    tokens = data["tokens"]
    if not all(isinstance(token, str) for token in tokens):
        raise BadToken(f"it holds tokens that are not text ({shape})")
    return list(tokens)


def by_table(texts: Iterable[str]) -> tuple[dict[str, list[Token]], list[str]]:
    """The tokens of a results file, by table, each result once; and a line for
    each text that is no token."""
    tables: dict[str, list[Token]] = {}
    seen: set[tuple[str, int]] = set()
    refused: list[str] = []
    for _, token in _parsed(texts, refused):
        if token.session not in seen:
            seen.add(token.session)
            tables.setdefault(token.table, []).append(token)
    return tables, refused


#: Picks this close (ms) read as the same: a burst of near-identical tokens.
_NEAR = 250


def set_aside(tokens: Sequence[Token]) -> tuple[list[Token], dict[str, int]]:
    """The tokens a tally counts, and how many it sets aside, by why: picks made
    before a trial's clips could be heard, and results that repeat another's
    picks and times (a burst a script makes; honest readers' times differ)."""
    kept: list[Token] = []
    aside: dict[str, int] = {}
    shapes: set[tuple[tuple[int, int] | None, ...]] = set()
    for token in tokens:
        shape = tuple(
            (pick[0], pick[1] // _NEAR) if pick else None for pick in token.picks
        )
        if any(pick and pick[1] < HEARD_MILLISECONDS for pick in token.picks):
            why = "picked before the clips could be heard"
        elif shape in shapes:
            why = "the same picks and times as another result"
        else:
            shapes.add(shape)
            kept.append(token)
            continue
        aside[why] = aside.get(why, 0) + 1
    return kept, aside


@dataclass(frozen=True)
class TableShape:
    """What a blind table asks: its key, its commitment, each trial's choices,
    and what its readers' tokens cost (the rounds of a try of their proof)."""

    key: str
    commitment: str
    choices: tuple[int, ...]
    work: int = WORK_ITERATIONS


def tokens_in(text: str) -> list[str]:
    """Every token in a text (a mail, a form service's export, a list)."""
    return _TOKEN.findall(text)


def parse_token(text: str) -> Token:
    """A token read, or :class:`BadToken` saying why it is none."""
    if not isinstance(text, str) or len(text) > MOST_CHARACTERS:
        raise BadToken("it is too long")
    if not text.startswith(PREFIX):
        raise BadToken("it is not a result token (AT1.…)")
    body = text[len(PREFIX) :]
    if not re.fullmatch(r"[A-Za-z0-9_-]+", body):
        raise BadToken("it holds characters a token does not")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise BadToken("it does not decode") from None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise BadToken(
            f"it is not of version {VERSION} (older tokens carry no proof of work)"
        )
    table, commitment, seed = data.get("k"), data.get("c"), data.get("s")
    if not isinstance(table, str) or not _KEY.fullmatch(table):
        raise BadToken("it names no table")
    if not isinstance(commitment, str) or not _COMMITMENT.fullmatch(commitment):
        raise BadToken("its commitment is damaged")
    if not _whole(seed, 0, MOST_SEED):
        raise BadToken("its session is none the listening script draws")
    picks, work, proof = data.get("p"), data.get("w"), data.get("h")
    if not isinstance(picks, list) or not 1 <= len(picks) <= MOST_TRIALS:
        raise BadToken("its picks are damaged")
    if not _whole(work, 0, 2**53) or not (
        isinstance(proof, str) and _PROOF.fullmatch(proof)
    ):
        raise BadToken("it carries no proof of work")
    assert isinstance(seed, int) and isinstance(work, int)
    picked = tuple(_pick(p) for p in picks)
    return Token(table, commitment, seed, picked, work, proof)


def _pick(pick: object) -> tuple[int, int] | None:
    if pick is None:
        return None
    if (
        not isinstance(pick, list)
        or len(pick) != 2
        or not _whole(pick[0], 0, MOST_CHOICES - 1)
        or not _whole(pick[1], 0, MOST_MILLISECONDS)
    ):
        raise BadToken("its picks are damaged")
    return (pick[0], pick[1])


def _whole(value: object, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def why_not_for(token: Token, table: TableShape) -> str | None:
    """Why a token is not a result of ``table`` as it is now, or None."""
    if token.table != table.key:
        return "it was taken on another table"
    if token.commitment != table.commitment:
        return "it was taken on another design of the study (its commitment differs)"
    if len(token.picks) != len(table.choices):
        return f"it has {len(token.picks)} trials, the table {len(table.choices)}"
    for number, (pick, choices) in enumerate(
        zip(token.picks, table.choices, strict=True), 1
    ):
        if pick is not None and pick[0] >= choices:
            return f"its trial {number} picks clip {pick[0] + 1} of {choices}"
    if all(pick is None for pick in token.picks):
        return "it holds no pick"
    return None


def new_tokens(
    texts: Iterable[str], tables: dict[str, TableShape], kept: Iterable[str]
) -> tuple[list[str], list[str]]:
    """The valid tokens of ``texts`` not ``kept`` yet, and a line for each one
    left out (duplicates, damaged ones, ones of unknown tables)."""
    sessions = {token.session for _, token in _parsed(kept, [])}
    added: list[str] = []
    refused: list[str] = []
    for text, token in _parsed(texts, refused):
        table = tables.get(token.table)
        why = (
            "its table is on no page of the site"
            if table is None
            else why_not_for(token, table)
        )
        if why is None and token.session in sessions:
            why = "its session is there already (one result a visit)"
        if why is None and table and not work_done(token, table.work):
            why = "its proof of work does not hold (a forged or damaged token)"
        if why is not None:
            refused.append(f"{_quoted(text)}: {why}")
            continue
        sessions.add(token.session)
        added.append(text)
    return added, refused


def _parsed(texts: Iterable[str], refused: list[str]) -> Iterator[tuple[str, Token]]:
    """Each text that is a token, with it; why each other is not, in ``refused``."""
    for text in texts:
        try:
            yield text, parse_token(text)
        except BadToken as error:
            refused.append(f"{_quoted(text)}: {error}")


def _quoted(text: str) -> str:
    return repr(text[:24] + "…") if len(text) > 24 else repr(text)


# --- The tally under a table ------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """What readers' results say of one blind table."""

    readers: int
    right: tuple[int, ...]  # per trial: readers who picked the asked-for clip
    picked: tuple[int, ...]  # per trial: readers who picked at all
    scores: tuple[int, ...]  # per reader: trials right
    chance: float  # the hit rate guessing gives

    @property
    def hits(self) -> int:
        return sum(self.right)

    @property
    def tries(self) -> int:
        return sum(self.picked)


def tally(
    tokens: Sequence[Token], answers: Sequence[int], choices: Sequence[int]
) -> Tally:
    """The results of ``tokens`` (each valid for the table) against its answers."""
    right = [0] * len(answers)
    picked = [0] * len(answers)
    scores = []
    for token in tokens:
        score = 0
        for trial, pick in enumerate(token.picks):
            if pick is None:
                continue
            picked[trial] += 1
            if pick[0] == answers[trial]:
                right[trial] += 1
                score += 1
        scores.append(score)
    chance = sum(1 / count for count in choices) / len(choices)
    return Tally(len(tokens), tuple(right), tuple(picked), tuple(scores), chance)


def interval(hits: int, tries: int) -> tuple[float, float]:
    """The exact (Clopper–Pearson) 95 % interval of a hit rate."""
    if tries == 0:
        return (0.0, 1.0)
    lower = 0.0 if hits == 0 else _solve(lambda p: _at_least(tries, hits, p) >= 0.025)
    upper = (
        1.0
        if hits == tries
        else _solve(lambda p: 1 - _at_least(tries, hits + 1, p) <= 0.025)
    )
    return (lower, upper)


def _solve(rises: Callable[[float], bool]) -> float:
    """The p in [0, 1] at which ``rises(p)`` turns true, by bisection."""
    low, high = 0.0, 1.0
    for _ in range(50):
        middle = (low + high) / 2
        if rises(middle):
            high = middle
        else:
            low = middle
    return (low + high) / 2


def _at_least(n: int, r: int, p: float) -> float:
    """P(X >= r) for X ~ Binomial(n, p): the regularized incomplete beta function
    I_p(r, n - r + 1), by its continued fraction (a few dozen steps, whatever n:
    a results file of a million picks is tallied as fast as one of ten)."""
    if r <= 0:
        return 1.0
    if r > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    a, b = float(r), float(n - r + 1)
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
        + a * math.log(p) + b * math.log1p(-p)
    )  # fmt: skip
    if p < (a + 1) / (a + b + 2):
        return min(1.0, front * _fraction(a, b, p) / a)
    return max(0.0, 1.0 - front * _fraction(b, a, 1 - p) / b)


def _fraction(a: float, b: float, x: float) -> float:
    """The incomplete beta function's continued fraction (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-12:
            break
    return result


#: "Could not tell them apart" is said only when the interval rules out doing
#: better than guessing by more than this: fewer picks say "too few to tell".
CLOSE_TO_CHANCE = 0.10


def sentence(result: Tally) -> str:
    """What the results say, in one plain sentence: a verdict only where the
    interval allows one, the figures always."""
    low, high = interval(result.hits, result.tries)
    share = result.hits / result.tries if result.tries else 0.0
    readers = f"{result.readers} reader{'s' if result.readers != 1 else ''}"
    picks = f"{result.hits} of {result.tries} pick{'s' if result.tries != 1 else ''}"
    figures = (
        f"{_percent(share)} % correct ({picks}), 95 % CI "
        f"{_percent(low)}–{_percent(high)} %, {readers}"
    )
    if low > result.chance:
        verdict = "Readers told them apart"
    elif high < result.chance:
        verdict = "Readers picked the other one more often than guessing would"
    elif high <= result.chance + CLOSE_TO_CHANCE:
        verdict = "Readers could not tell them apart"
    else:
        verdict = "Too few picks yet to say whether readers can tell them apart"
    return f"{verdict}: {figures} (guessing: {_percent(result.chance)} %)."


def _share(right: int, picked: int) -> str:
    """A trial's share right, with its interval: "90 % of 40 (95 % CI 76–97 %)"."""
    if not picked:
        return "no pick yet"
    low, high = interval(right, picked)
    return (
        f"{_percent(right / picked)} % of {picked} "
        f"(95 % CI {_percent(low)}–{_percent(high)} %)"
    )


def _percent(share: float) -> str:
    return str(round(share * 100))


RESULTS_CLASS = "audiotable-results"


def results_html(
    result: Tally, headings: Sequence[str], aside: Mapping[str, int] | None = None
) -> str:
    """The tally as it shows under its table: the sentence, a histogram of the
    readers' scores (an SVG, with its numbers in words) and, for a table of
    several trials, each trial's share."""
    rows = "".join(
        f"<li>{escape_text(heading)}: {_share(right, picked)}</li>"
        for heading, right, picked in zip(
            headings, result.right, result.picked, strict=True
        )
    )
    readers = f"{result.readers} reader{'s' if result.readers != 1 else ''}"
    return (
        # Closed until the reader has picked: a tally read first would sway
        # their pick (the script keeps it hidden until then).
        f'<details class="{RESULTS_CLASS}-box"><summary>What other readers '
        f"picked ({readers}): open it after your own picks</summary>"
        f'<figure class="{RESULTS_CLASS}">'
        f"<figcaption>{escape_text(sentence(result))}"
        f"{escape_text(_aside_text(aside or {}))}</figcaption>"
        f"{_histogram(result.scores, len(result.right))}"
        + (f"<ul>{rows}</ul>" if len(result.right) > 1 else "")
        + "</figure></details>"
    )


def _aside_text(aside: Mapping[str, int]) -> str:
    """How many results the tally leaves out, and why: " 3 results set aside
    (picked before the clips could be heard: 2; …)."."""
    total = sum(aside.values())
    if not total:
        return ""
    reasons = "; ".join(f"{why}: {count}" for why, count in sorted(aside.items()))
    return f" {total} result{'s' if total != 1 else ''} set aside ({reasons})."


def _histogram(scores: Sequence[int], trials: int) -> str:
    """Bars of readers by score, each with its score under it."""
    counts = [0] * (trials + 1)
    for score in scores:
        counts[min(score, trials)] += 1
    tallest = max(counts) or 1
    width, height, gap, under = 20, 48, 4, 14
    bars = "".join(
        f'<rect x="{i * width + gap / 2:g}" y="{height - h:.1f}" '
        f'width="{width - gap}" height="{h:.1f}"/>'
        for i, count in enumerate(counts)
        if (h := max(1.0, height * count / tallest) if count else 0.0)
    )
    marks = "".join(
        f'<text x="{i * width + width / 2:g}" y="{height + under - 2}">{i}</text>'
        for i in range(len(counts))
    )
    said = "; ".join(f"{right} right: {count}" for right, count in enumerate(counts))
    of = f"{trials} trial{'s' if trials != 1 else ''}"
    label = escape_attribute(f"Readers' scores, of {of}: {said}")
    return (
        f'<svg class="audiotable-scores" width="{width * len(counts)}" '
        f'height="{height + under}" role="img" aria-label="{label}">{bars}'
        f'<g aria-hidden="true">{marks}</g></svg>'
    )


# --- The tables a built site asks readers about -----------------------------------


def shapes_in(html: str) -> list[TableShape]:
    """The blind tables of a built page, as the plugin wrote them."""
    reader = _ShapeReader()
    reader.feed(html)
    reader.close()
    return [
        TableShape(key, commitment, tuple(choices), _rounds(work))
        for key, commitment, choices, work in reader.tables
        if _KEY.fullmatch(key) and choices
    ]


def _rounds(text: str) -> int:
    """A table's ``data-audiotable-work``, never below the least a setting takes."""
    return max(int(text), 1000) if text.isdigit() and len(text) < 9 else WORK_ITERATIONS


class _ShapeReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, str, list[int], str]] = []
        self._depth = 0  # tables open inside the blind table

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "table":
            if self._depth:
                self._depth += 1
            elif "audiotable-blind" in found.get("class", "").split():
                key = found.get("data-audiotable-key", "")
                commitment = found.get("data-audiotable-commitment", "")
                work = found.get("data-audiotable-work", "")
                self.tables.append((key, commitment, [], work))
                self._depth = 1
        elif self._depth == 1 and tag == "tr" and "data-audiotable-trial" in found:
            self.tables[-1][2].append(0)
        elif self._depth == 1 and tag == "td" and "data-audiotable-where" in found:
            choices = self.tables[-1][2]
            if choices:
                choices[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
