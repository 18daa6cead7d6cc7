"""A blind table's answer, as the page carries it: the generator and shuffle the
listening script has too (``static/audiotable/blind/shuffle.js``, held equal by
``tests/twins.json``), the answer scrambled into the page, the key that names a
test wherever it is built, a study's salt, and the salt that makes each trial's
copies its own."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence

from ..model import PageRef

#: Each trial's clips as (their original's content key, their label).
Design = Sequence[Sequence[tuple[str, str]]]


def table_key(question: str, design: Design) -> str:
    """What names a blind test wherever it is built: its question, and each
    trial's clips (their originals' content) with their labels. Readers' result
    tokens carry it."""
    rows = [[list(clip) for clip in trial] for trial in design]
    text = json.dumps([question, rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def order_seed(key: str, secret: str = "") -> int:
    """What orders a blind table's cells. A self-test's comes from its key, the
    same on every machine (its answer is on the page anyway); a study's from its
    key and the author's secret, which the page does not hold: no reader can
    compute where the asked-for clip sits, and the sealed and the revealed page
    order their cells alike."""
    if not secret:
        return int(key[:8], 16)
    text = f"audiotable-order:{key}".encode()
    return int(hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()[:8], 16)


def trial_salt(page: PageRef, table: int, trial: int, secret: str) -> str:
    """What makes a trial's copies its own: the page, the table and the trial
    (and a study's secret, so that no reader makes them again from the
    originals). No copy recurs across trials or pages: a file that recurs would
    name the take that recurs."""
    text = f"audiotable-copies\n{page.source_path}\n{table}\n{trial}"
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def study_salt(originals: Sequence[str], secret: str) -> str:
    """A study's salt: from its originals' bytes (their content keys, which no
    reader has: the page plays re-encoded copies) and the author's secret, so the
    commitment cannot be brute-forced over the few answer keys there are."""
    text = "\n".join(["audiotable-study", *originals, secret])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Shuffle:
    """Mulberry32, the listening script's generator too: the build and the
    browser scramble and unscramble the same way."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFF

    def next(self) -> int:
        """The next 32 random bits."""
        a = self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        t = _imul(a ^ (a >> 15), a | 1)
        t = ((t + _imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF) ^ t
        return (t ^ (t >> 14)) & 0xFFFFFFFF

    def permutation(self, count: int) -> list[int]:
        """Fisher-Yates, as the script does it."""
        places = list(range(count))
        for i in range(count - 1, 0, -1):
            j = self.next() % (i + 1)
            places[i], places[j] = places[j], places[i]
        return places


def _imul(a: int, b: int) -> int:
    return (a * b) & 0xFFFFFFFF


def answer_bytes(answer: object) -> bytes:
    """The answer as the page carries it (scrambled) and a study commits to."""
    return json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()


def scrambled(data: bytes, seed: int) -> str:
    """``data``, each byte XORed with the generator's next top byte, in base64:
    nothing a reader can read, or search, in the page's source."""
    stream = Shuffle(seed ^ 0x5EED)
    return base64.b64encode(bytes(b ^ (stream.next() >> 24) for b in data)).decode()
