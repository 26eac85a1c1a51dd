"""`copilot understand`, `copilot listen` and `copilot eval`."""

from __future__ import annotations

import click

from copilot.commands.common import not_landed


@click.command(help="Text to a structured request (intent, stops, times).")
@click.option("--json", "as_json", metavar="TEXT", help="One utterance; one JSON object out.")
@click.option("--jsonl", is_flag=True, help="One utterance per stdin line; one object per line.")
def understand(as_json: str | None, jsonl: bool) -> None:
    not_landed("understand", 3)


@click.command(help="Speech (16-bit PCM WAV) to a structured request.")
@click.option("--json", "wav", metavar="FILE.wav", help="One WAV file.")
@click.option("--jsonl", is_flag=True, help="One WAV path per stdin line.")
@click.option("--engine", type=click.Choice(["vosk", "pocketsphinx"]), default=None)
@click.option("--model", "model_dir", type=click.Path(), default=None, help="Recogniser model dir.")
def listen(wav: str | None, jsonl: bool, engine: str | None, model_dir: str | None) -> None:
    not_landed("listen", 3)


@click.group(name="eval", help="Accuracy on an evaluation set (understand or listen).")
def eval_group() -> None:
    pass


@eval_group.command(name="understand", help="Command acceptance and per-field accuracy on text.")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
def eval_understand(data: str) -> None:
    not_landed("eval understand", 3)


@eval_group.command(name="listen", help="Command acceptance and per-field accuracy on speech.")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
def eval_listen(data: str) -> None:
    not_landed("eval listen", 3)
