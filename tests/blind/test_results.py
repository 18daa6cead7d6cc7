"""Readers' results without a server, and studies that commit before they reveal:
real builds, ``pelican-audiotable results add`` as an author runs it, hostile
results files, and Chromium reading, picking, copying and checking."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pelican_audiotable.blind.answer import Shuffle
from pelican_audiotable.blind.results import (
    BadToken,
    TableShape,
    Token,
    interval,
    new_tokens,
    parse_token,
    prove_work,
    sentence,
    shapes_in,
    tally,
    work_done,
)
from tests.blind.test_blind import visit
from tests.conftest import build_site, serve, site_settings

GRID = (
    "Title: Takes\nSlug: takes\nAudiotable_blind: yes\n\n"
    "| | Human | AI |\n|---|---|---|\n"
    '| Verse | <audio controls src="/clips/a.mp3"></audio> '
    '| <audio controls src="/clips/b.mp3"></audio> |\n'
    '| Chorus | <audio controls src="/clips/b.mp3"></audio> '
    '| <audio controls src="/clips/a.mp3"></audio> |\n'
)


STUDY = {
    "AUDIOTABLE_STUDY": "sealed",
    "AUDIOTABLE_STUDY_SECRET": "the author's study secret",
}


#: The rounds a try of a token's proof of work costs on these tests' sites (the
#: default, 400,000, is measured in test_forging_costs_what_the_readme_says).
CHEAP = 1000
WORK = {"AUDIOTABLE_RESULTS_WORK": CHEAP}


def encode(data: dict[str, object]) -> str:
    """A token of ``data``, with its proof of work found (at CHEAP rounds) unless
    ``w`` is given."""
    data = {"v": 2, **data}
    if "w" not in data:
        k, c, s = data.get("k"), data.get("c"), data.get("s")
        fine = isinstance(k, str) and isinstance(c, str) and isinstance(s, int)
        w, h = prove_work(k, c, s, CHEAP) if fine else (0, "0" * 16)  # type: ignore[arg-type]
        data["w"], data["h"] = w, h
    text = json.dumps(data, separators=(",", ":"))
    return "AT1." + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
def clips_a_b(clips, tmp_path_factory) -> dict[str, Path]:
    made = tmp_path_factory.mktemp("ab")
    take = clips["cbr-128-stereo-44k.mp3"]
    quiet = made / "b.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(take), "-af", "volume=-4dB",
         "-c:a", "libmp3lame", "-b:a", "160k", str(quiet)],
        check=True,
    )  # fmt: skip
    return {"clips/a.mp3": take, "clips/b.mp3": quiet}


def blind_attributes(page: str) -> dict[str, str]:
    [tag] = re.findall(r"<table[^>]*audiotable-blind[^>]*>", page)
    return {k: html.unescape(v) for k, v in re.findall(r'(data-[\w-]+)="([^"]*)"', tag)}


def payload_of(attribute: str) -> bytes:
    """The answer's bytes, unscrambled as the listening script does it."""
    seed, scrambled = attribute.split(".")
    stream = Shuffle(int(seed) ^ 0x5EED)
    return bytes(b ^ (stream.next() >> 24) for b in base64.b64decode(scrambled))


# --- Tallies ------------------------------------------------------------------------


def test_the_interval_and_the_sentence_are_exact() -> None:
    low, high = interval(7, 8)
    assert (round(low, 4), round(high, 4)) == (0.4735, 0.9968)  # Clopper-Pearson
    assert interval(0, 10)[0] == 0 and round(interval(0, 10)[1], 4) == 0.3085
    assert interval(10, 10)[1] == 1 and round(interval(10, 10)[0], 4) == 0.6915
    assert round(interval(700, 1000)[0], 3) == 0.671  # no underflow at 1,000 tries

    def readers(right: int, wrong: int) -> tuple[Token, ...]:
        return (Token("k", "", 1, ((0, 1),)),) * right + (
            Token("k", "", 1, ((1, 1),)),
        ) * wrong

    told = tally(readers(100, 43), [0], [2])
    assert sentence(told) == (
        "Readers told them apart: 70 % correct (100 of 143 picks), 95 % CI 62–77 %, "
        "143 readers (guessing: 50 %)."
    )


@pytest.mark.parametrize(
    ("right", "wrong", "said"),
    [
        # One reader, right: no verdict can come of one pick.
        (1, 0, "Too few picks yet to say whether readers can tell them apart: "
               "100 % correct (1 of 1 pick), 95 % CI 2–100 %, 1 reader"),
        (0, 1, "Too few picks yet to say whether readers can tell them apart: "
               "0 % correct (0 of 1 pick), 95 % CI 0–98 %, 1 reader"),
        (1, 1, "Too few picks yet to say whether readers can tell them apart: "
               "50 % correct (1 of 2 picks), 95 % CI 1–99 %, 2 readers"),
        (2, 0, "Too few picks yet to say whether readers can tell them apart: "
               "100 % correct (2 of 2 picks)"),
        (12, 0, "Readers told them apart: 100 % correct (12 of 12 picks)"),
        (0, 12, "Readers picked the other one more often than guessing would: "
                "0 % correct (0 of 12 picks)"),
        (10, 10, "Too few picks yet to say whether readers can tell them apart: "
                 "50 % correct (10 of 20 picks)"),
        (200, 200, "Readers could not tell them apart: 50 % correct "
                   "(200 of 400 picks), 95 % CI 45–55 %, 400 readers"),
    ],
)  # fmt: skip
def test_the_tally_reads_right_for_few_and_many_readers(
    right: int, wrong: int, said: str
) -> None:
    readers = (Token("k", "", 1, ((0, 1),)),) * right + (
        Token("k", "", 1, ((1, 1),)),
    ) * wrong
    text = sentence(tally(readers, [0], [2]))
    assert text.startswith(said), text
    assert text.endswith("(guessing: 50 %).")


def test_tokens_that_do_not_count_are_left_out_each_with_its_reason() -> None:
    shape = TableShape("0123456789abcdef", "", (2, 3), CHEAP)
    good = {"k": shape.key, "c": "", "s": 7, "p": [[1, 900], [2, 1500]]}
    work, proof = prove_work(shape.key, "", 9, CHEAP)
    forged = encode(good | {"s": 9, "w": work, "h": f"{int(proof, 16) ^ 1:016x}"})
    texts = [
        encode(good),
        encode(good),  # the same result twice
        encode({**good, "p": [[0, 1900], [2, 1500]]}),  # the same session again
        encode({**good, "s": 8}),
        encode({**good, "k": "fedcba9876543210"}),
        encode({**good, "c": "a" * 64}),
        encode({**good, "p": [[1, 900], [3, 1]]}),
        encode({**good, "p": [None, None]}),
        encode({**good, "p": [[1, 900]]}),
        encode({**good, "v": 1}),
        encode({**good, "s": 1_000_000_000}),  # beyond what the script draws
        forged,
        "AT1.!!!!",
    ]
    added, refused = new_tokens(texts, {shape.key: shape}, [])
    assert added == [texts[0], texts[3]]
    reasons = [line.split(": ", 1)[1] for line in refused]
    assert reasons == [
        "its session is there already (one result a visit)",
        "its session is there already (one result a visit)",
        "its table is on no page of the site",
        "it was taken on another design of the study (its commitment differs)",
        "its trial 2 picks clip 4 of 3",
        "it holds no pick",
        "it has 1 trials, the table 2",
        "it is not of version 2 (older tokens carry no proof of work)",
        "its session is none the listening script draws",
        "its proof of work does not hold (a forged or damaged token)",
        "it holds characters a token does not",
    ]
    with pytest.raises(BadToken):
        parse_token("AT1." + "A" * 9000)


# --- Builds ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, clips_a_b) -> Path:
    root = tmp_path_factory.mktemp("results")
    build_site(root, {**clips_a_b, "takes.md": GRID}, AUDIOTABLE_ASSETS=True, **WORK)
    return root


def _settings_file(root: Path, **extra: object) -> Path:
    settings = {**site_settings(root), **extra}
    settings.pop("DEFAULT_DATE")
    text = "".join(f"{key} = {value!r}\n" for key, value in settings.items())
    conf = root / "pelicanconf.py"
    conf.write_text(text + "DEFAULT_DATE = (2025, 8, 10)\n")
    return conf


def _add(files: list[Path], conf: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pelican_audiotable.cli.commands", "results", "add",
         *map(str, files), "-s", str(conf)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_results_added_by_the_author_show_under_the_table(built: Path) -> None:
    page = (built / "output" / "takes.html").read_text()
    attributes = blind_attributes(page)
    answers = json.loads(payload_of(attributes["data-audiotable-blind"]))["answers"]
    [shape] = shapes_in(page)
    assert shape.choices == (2, 2) and shape.key == attributes["data-audiotable-key"]
    # 40 readers: 30 right on both trials, 6 right on the first only, 4 on none.
    tokens = []
    for reader in range(40):
        right = (True, True) if reader < 30 else (reader < 36, False)
        picks = [
            [a if r else 1 - a, 2000 + 397 * reader]
            for a, r in zip(answers, right, strict=True)
        ]
        tokens.append(encode({"k": shape.key, "c": "", "s": reader, "p": picks}))
    inbox = built / "inbox.txt"
    inbox.write_text(
        "From a form service's export:\n"
        + "\n".join(f"token={t}; page=/takes.html" for t in tokens)
        + f"\n{tokens[0]}\n{tokens[1]}\nAT1.garbage-token\n"
    )
    conf = _settings_file(built)
    run = _add([inbox], conf)
    assert run.returncode == 0, run.stderr
    assert "40 result(s) added" in run.stdout and "3 left out" in run.stdout
    assert run.stderr.count("its session is there already") == 2
    kept = json.loads((built / "content" / "audiotable-results.json").read_text())
    assert kept["version"] == 1 and kept["tokens"] == tokens
    again = _add([inbox], conf)
    assert "0 result(s) added" in again.stdout and "43 left out" in again.stdout

    build_site(built, {}, AUDIOTABLE_ASSETS=True, **WORK)
    page = (built / "output" / "takes.html").read_text()
    [figure] = re.findall(r'<figure class="audiotable-results">.*?</figure>', page)
    low, high = interval(66, 80)
    assert (
        f"Readers told them apart: 82 % correct (66 of 80 picks), 95 % CI "
        f"{round(low * 100)}–"
        f"{round(high * 100)} %, 40 readers (guessing: 50 %)."
    ) in figure
    assert (
        "<li>Verse: 90 % of 40 (95 % CI 76–97 %)</li>"
        "<li>Chorus: 75 % of 40 (95 % CI 59–87 %)</li>"
    ) in figure
    assert "0 right: 4; 1 right: 6; 2 right: 30" in figure
    assert figure.count("<rect") == 3


def test_a_hostile_results_file_breaks_nothing_and_injects_nothing(
    tmp_path: Path, built: Path, warnings
) -> None:
    page = (built / "output" / "takes.html").read_text()
    key = blind_attributes(page)["data-audiotable-key"]
    good = {"k": key, "c": "", "s": 1, "p": [[0, 2001], [1, 2002]]}
    hostile = [
        encode({**good, "k": "<script>alert(1)</script>"}),
        encode({**good, "p": [["<img src=x onerror=alert(1)>", 1], [0, 1]]}),
        encode({**good, "p": [[0, 1]] * 5000}),
        encode({**good, "s": -1}),
        "<script>alert(1)</script>",
        encode(good),
    ]
    results = tmp_path / "content" / "audiotable-results.json"
    results.parent.mkdir(parents=True)
    results.write_text(json.dumps({"version": 1, "tokens": hostile}))
    content = built / "content"
    output = build_site(
        tmp_path,
        {"takes.md": GRID, "clips/a.mp3": content / "clips/a.mp3",
         "clips/b.mp3": content / "clips/b.mp3"},
    )  # fmt: skip
    written = (output / "takes.html").read_text()
    assert "<script>alert" not in written and "onerror" not in written
    assert "1 reader (guessing: 50 %)" in written
    refused = [w for w in warnings() if "not counted" in w]
    assert len(refused) == 5  # one warning each
    results.write_text("{not json")
    build_site(tmp_path, {})
    assert any("audiotable-results.json: it is not JSON" in w for w in warnings())
    results.unlink()
    os.mkfifo(results)  # read as a file, it would hang the build
    build_site(tmp_path, {})
    assert any("audiotable-results.json: it cannot be read" in w for w in warnings())


def test_a_sealed_study_commits_and_a_revealed_one_keeps_its_word(
    tmp_path: Path, clips_a_b, warnings
) -> None:
    sealed = build_site(tmp_path / "sealed", {**clips_a_b, "takes.md": GRID}, **STUDY)
    page = (sealed / "takes.html").read_text()
    attributes = blind_attributes(page)
    assert attributes["data-audiotable-blind"] == "sealed"
    assert "data-audiotable-salt" not in attributes
    assert '<details class="audiotable-reveal">' not in page
    commitment = attributes["data-audiotable-commitment"]
    assert re.fullmatch("[0-9a-f]{64}", commitment)

    revealed = build_site(
        tmp_path / "revealed",
        {
            **clips_a_b,
            "takes.md": GRID.replace("yes\n", "yes\nAudiotable_study: revealed\n"),
        },
        AUDIOTABLE_STUDY_SECRET=STUDY["AUDIOTABLE_STUDY_SECRET"],
    )
    shown = blind_attributes((revealed / "takes.html").read_text())
    assert shown["data-audiotable-commitment"] == commitment
    assert shown["data-audiotable-key"] == attributes["data-audiotable-key"]
    payload = payload_of(shown["data-audiotable-blind"])
    salt = shown["data-audiotable-salt"]
    assert hashlib.sha256(f"{salt}:".encode() + payload).hexdigest() == commitment
    # A secret of the author's changes the salt, and so the commitment.
    other = build_site(
        tmp_path / "secret",
        {**clips_a_b, "takes.md": GRID},
        AUDIOTABLE_STUDY="sealed",
        AUDIOTABLE_STUDY_SECRET="another secret of the author's",
    )
    assert (
        blind_attributes((other / "takes.html").read_text())[
            "data-audiotable-commitment"
        ]
        != commitment
    )


def _valid_tokens(shape: TableShape, count: int, first: int = 0) -> list[str]:
    return [
        encode({"k": shape.key, "c": "", "s": first + n,
                "p": [[n % 2, 1500 + 397 * n], [(n // 2) % 2, 2500 + 397 * n]]})
        for n in range(count)
    ]  # fmt: skip


def test_forged_tokens_are_refused_and_bursts_set_aside(built: Path) -> None:
    """A forger who skips the work: every token refused (a guessed ``w`` holds one
    time in 8, but its 64 bits of digest must be right too). A burst of tokens
    with the same picks and times, or picks made before the clips could be
    heard, is set aside by the tally and said."""
    from pelican_audiotable.blind.results import results_html, set_aside

    [shape] = shapes_in((built / "output" / "takes.html").read_text())
    assert shape.work == CHEAP
    forged = [
        encode({"k": shape.key, "c": "", "s": 5000 + n,
                "p": [[0, 4000], [1, 4100]], "w": n % 3, "h": f"{n:016x}"})
        for n in range(200)
    ]  # fmt: skip
    added, refused = new_tokens(forged, {shape.key: shape}, [])
    assert added == [] and len(refused) == 200
    assert all("proof of work does not hold" in line for line in refused)
    honest = [parse_token(t) for t in _valid_tokens(shape, 6, 100)]
    # A burst that paid for its work: the same picks and times, session after
    # session.
    paid = [
        encode({"k": shape.key, "c": "", "s": 7000 + n, "p": [[0, 4000], [1, 4100]]})
        for n in range(5)
    ]
    burst = [parse_token(t) for t in paid]
    hasty = [Token(shape.key, "", 9000, ((0, 300), (1, 200)))]
    kept, aside = set_aside([*honest, *burst, *hasty])
    assert kept == [*honest, burst[0]]
    assert aside == {
        "the same picks and times as another result": len(burst) - 1,
        "picked before the clips could be heard": 1,
    }
    said = results_html(tally(kept, [0, 1], [2, 2]), ["Verse", "Chorus"], aside)
    assert f"{len(burst)} result{'s' if len(burst) > 1 else ''} set aside" in said
    assert "7 readers" in said


def test_the_default_cost_is_the_settings_and_the_scripts() -> None:
    from pelican_audiotable.blind.results import WORK_ITERATIONS
    from pelican_audiotable.settings import AudioTableSettings

    assert AudioTableSettings().results_work == WORK_ITERATIONS
    script = (
        Path(__file__).parents[2]
        / "pelican_audiotable/static/audiotable/blind/tokens.js"
    ).read_text()
    assert f"iterations: {WORK_ITERATIONS}," in script


def test_concurrent_adds_keep_every_token(tmp_path: Path, built: Path) -> None:
    """Four `results add` at once, 500 tokens each: all 2,000 kept (without a lock
    each run wrote what it read plus its own, and half were lost)."""
    [shape] = shapes_in((built / "output" / "takes.html").read_text())
    conf = _settings_file(tmp_path, OUTPUT_PATH=str(built / "output"))
    (tmp_path / "content").mkdir()
    inboxes = []
    for run in range(4):
        inbox = tmp_path / f"inbox-{run}.txt"
        inbox.write_text("\n".join(_valid_tokens(shape, 500, run * 500)))
        inboxes.append(inbox)
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pelican_audiotable.cli.commands",
                "results",
                "add",
                str(inbox),
                "-s",
                str(conf),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for inbox in inboxes
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "500 result(s) added" in out
    kept = json.loads((tmp_path / "content" / "audiotable-results.json").read_text())
    assert len(kept["tokens"]) == len(set(kept["tokens"])) == 2000
    assert not list((tmp_path / "content").glob(".*partial"))


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[]", "it is not a results file"),
        ("null", "it is not a results file"),
        ('{"version": 1, "tokens": {}}', "it is not a results file"),
        ('{"version": 1, "tokens": [1, 2]}', "tokens that are not text"),
        ('{"version": 2, "tokens": []}', "version 1"),
        ("\xff\xfe", "it is not JSON"),
    ],
)
def test_a_results_file_of_the_wrong_shape_is_a_clear_error(
    tmp_path: Path, built: Path, text: str, said: str, warnings
) -> None:
    """Said, by `results add` and by the build, never a traceback."""
    conf = _settings_file(tmp_path, OUTPUT_PATH=str(built / "output"))
    results = tmp_path / "content" / "audiotable-results.json"
    results.parent.mkdir()
    results.write_bytes(text.encode("latin-1"))
    inbox = tmp_path / "inbox.txt"
    inbox.write_text("\n".join(_valid_tokens(shapes_in(
        (built / "output" / "takes.html").read_text())[0], 2)))  # fmt: skip
    run = _add([inbox], conf)
    assert run.returncode == 2 and said in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert results.read_bytes() == text.encode("latin-1")  # left as it was
    content = built / "content"
    build_site(
        tmp_path,
        {"takes.md": GRID, "clips/a.mp3": content / "clips/a.mp3",
         "clips/b.mp3": content / "clips/b.mp3"},
    )  # fmt: skip
    assert any(said in w for w in warnings()), warnings()


def test_a_trial_of_more_than_26_clips_is_refused_at_build_time(
    tmp_path: Path, clips_a_b, warnings
) -> None:
    """A reader picks among A to Z: a 27th clip would get a letter twice."""
    players = " ".join(
        f'<audio controls src="/clips/{"a" if n % 2 else "b"}.mp3"></audio>'
        for n in range(27)
    )
    header = "| " + " | ".join(f"T{n}" for n in range(27)) + " |"
    page = (
        "Title: Wide\nSlug: wide\nAudiotable_blind: yes\n\n"
        f"| |{header[1:]}\n|"
        + "---|" * 28
        + "\n| Row | "
        + " | ".join(players.split(" </audio> "))
        + " |\n"
    )
    page = page.replace("</audio></audio>", "</audio>")
    output = build_site(tmp_path, {**clips_a_b, "wide.md": page})
    written = (output / "wide.html").read_text()
    assert "This listening test could not be built." in written
    assert any("27 clips" in w and "A to Z" in w for w in warnings()), warnings()


# --- In the browser -------------------------------------------------------------------


def _pick_all(tab, letter: str = "A") -> None:
    rows = tab.locator("tr.audiotable-choices")
    for row in range(rows.count()):
        rows.nth(row).locator(f"[data-audiotable-choice={letter}]").click()


def _written_token(token: Token) -> str:
    data = {
        "v": 2,
        "k": token.table,
        "c": token.commitment,
        "s": token.seed,
        "p": [list(p) if p else None for p in token.picks],
        "w": token.work,
        "h": token.proof,
    }
    return encode(data)


def _token_of(tab) -> Token:
    tab.wait_for_selector("p.audiotable-token code")
    return parse_token(tab.locator("p.audiotable-token code").inner_text())


@pytest.mark.browser
def test_a_reader_gets_a_token_that_says_what_they_picked(
    browser, built: Path, tmp_path: Path
) -> None:
    """And sees what other readers picked only once they have picked."""
    [shape] = shapes_in((built / "output" / "takes.html").read_text())
    content = built / "content"
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "audiotable-results.json").write_text(
        json.dumps({"version": 1, "tokens": _valid_tokens(shape, 12, 1000)})
    )
    build_site(
        tmp_path,
        {"takes.md": GRID, "clips/a.mp3": content / "clips/a.mp3",
         "clips/b.mp3": content / "clips/b.mp3"},
        AUDIOTABLE_ASSETS=True,
    )  # fmt: skip
    built = tmp_path
    with serve(built / "output") as url:
        tab = visit(browser, url + "/takes.html", 3)
        tally_box = tab.locator("details.audiotable-results-box")
        assert tally_box.count() == 1 and not tally_box.is_visible()
        _pick_all(tab)
        token = _token_of(tab)
        assert tally_box.is_visible() and tally_box.get_attribute("open") is not None
        page = (built / "output" / "takes.html").read_text()
        attributes = blind_attributes(page)
        answers = json.loads(payload_of(attributes["data-audiotable-blind"]))["answers"]
        assert token.table == attributes["data-audiotable-key"]
        assert token.seed == 3 and token.commitment == ""
        # Each pick, scored against the build's answer, is what the page said.
        verdicts = tab.evaluate(
            "Array.from(document.querySelectorAll('tr[data-audiotable-trial]'))"
            ".map(r => [Number(r.dataset.audiotableTrial) - 1,"
            " r.nextElementSibling.querySelector('.audiotable-verdict').dataset.right])"
        )
        for trial, right in verdicts:
            pick = token.picks[trial]
            assert pick is not None
            assert (pick[0] == answers[trial]) == (right == "true")
        assert tab.evaluate(
            "localStorage.getItem('audiotable-result:' + "
            "document.querySelector('table.audiotable-blind').dataset.audiotableKey)"
        ).startswith("AT1.")
        # The tally under the table, the verdicts and the token, audited (the
        # theme's own footer is notmyidea's business).
        from axe_playwright_python.sync_playwright import Axe

        assert tab.locator("figure.audiotable-results").count() == 1
        audited = {"exclude": [["#contentinfo"], ["#banner"]]}
        violations = Axe().run(tab, context=audited).response["violations"]
        serious = [
            v["id"] for v in violations if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
        assert not tab.errors
        tab.context.close()
    # The reader's token, sealed at the default cost, is taken: an honest token is
    # never refused.
    assert work_done(token)
    inbox = tmp_path / "inbox.txt"
    inbox.write_text(f"From a reader: {_written_token(token)}\n")
    run = _add([inbox], _settings_file(tmp_path))
    assert "1 result(s) added" in run.stdout, run.stderr


@pytest.mark.browser
def test_a_sealed_study_reveals_later_and_scores_the_kept_picks(
    browser, tmp_path: Path, clips_a_b
) -> None:
    site = tmp_path / "study"
    build_site(site, {**clips_a_b, "takes.md": GRID}, **STUDY, **WORK,
               AUDIOTABLE_RESULTS_URL="mailto:author@example.test",
               AUDIOTABLE_ASSETS=True)  # fmt: skip
    with serve(site / "output") as url:
        tab = visit(browser, url + "/takes.html", 5)
        _pick_all(tab, "B")
        verdicts = tab.locator(".audiotable-verdict").all_inner_texts()
        assert all(v.startswith("Recorded: Clip B.") for v in verdicts)
        assert tab.locator(".audiotable-revealed").count() == 0
        token = _token_of(tab)
        assert re.fullmatch("[0-9a-f]{64}", token.commitment)
        mail = tab.locator("p.audiotable-token a").get_attribute("href") or ""
        assert mail.startswith("mailto:author@example.test?subject=")
        assert token.seed == 5

        # The author reveals: the same page, rebuilt with its answer.
        build_site(site, {}, **{**STUDY, "AUDIOTABLE_STUDY": "revealed"}, **WORK,
                   AUDIOTABLE_ASSETS=True)  # fmt: skip
        tab.reload(wait_until="networkidle")
        study = tab.locator("p.audiotable-study")
        study.wait_for()
        tab.wait_for_function(
            "document.querySelector('p.audiotable-study').dataset.matches"
        )
        text = study.inner_text()
        attributes = blind_attributes((site / "output" / "takes.html").read_text())
        answers = json.loads(payload_of(attributes["data-audiotable-blind"]))["answers"]
        right = sum(
            1 for pick, answer in zip(token.picks, answers, strict=True)
            if pick and pick[0] == answer
        )  # fmt: skip
        assert text.startswith("The answer matches the commitment")
        assert f"Your picks while it was sealed: {right} of 2" in text

        # A page whose answer was changed after the commitment says so.
        page = site / "output" / "takes.html"
        page.write_text(
            page.read_text().replace(attributes["data-audiotable-salt"], "0" * 32)
        )
        tab.reload(wait_until="networkidle")
        tab.wait_for_function(
            "document.querySelector('p.audiotable-study')?.dataset.matches"
        )
        assert study.get_attribute("data-matches") == "false"
        assert "does NOT match" in study.inner_text()
        assert not tab.errors
        tab.context.close()


@pytest.mark.browser
def test_send_posts_the_token_where_the_author_collects_them(
    browser, tmp_path: Path, clips_a_b
) -> None:
    """Any form service that takes a POST: the token and the page, form-encoded."""
    from urllib.parse import parse_qs

    collector = "https://forms.example.test/audiotable"
    build_site(tmp_path, {**clips_a_b, "takes.md": GRID}, **WORK,
               AUDIOTABLE_RESULTS_URL=collector, AUDIOTABLE_ASSETS=True)  # fmt: skip
    with serve(tmp_path / "output") as url:
        tab = visit(browser, url + "/takes.html", 9)
        posted: list[dict[str, list[str]]] = []

        def collect(route) -> None:  # type: ignore[no-untyped-def]
            posted.append(parse_qs(route.request.post_data or ""))
            route.fulfill(status=200, body="thanks")

        tab.route(collector, collect)
        _pick_all(tab)
        token = tab.locator("p.audiotable-token code").inner_text()
        tab.locator("p.audiotable-token button", has_text="Send").click()
        tab.wait_for_function(
            "document.querySelector('p.audiotable-token [role=status]')"
            ".textContent.startsWith('Sent')"
        )
        assert posted == [{"token": [token], "page": [url + "/takes.html"]}]
        assert parse_token(token).seed == 9
        assert not tab.errors
        tab.context.close()
