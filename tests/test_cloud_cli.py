"""`copilot cloud serve` fails cleanly on bad input, and its help names the endpoint."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from copilot.cli import cli


def test_missing_model_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["cloud", "serve", "--port", "18999",
                                 "--model", str(tmp_path / "nope.gguf")])
    assert r.exit_code == 1
    assert "no GGUF at" in r.output and "Traceback" not in r.output


def test_a_file_that_is_not_a_gguf_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    r = CliRunner().invoke(cli, ["cloud", "serve", "--port", "18999", "--model", str(bad)])
    assert r.exit_code == 1
    assert r.output.count("\n") <= 3 and "Traceback" not in r.output


def test_port_out_of_range_is_a_usage_error() -> None:
    r = CliRunner().invoke(cli, ["cloud", "serve", "--port", "70000"])
    assert r.exit_code == 2


def test_bench_hybrid_is_registered() -> None:
    r = CliRunner().invoke(cli, ["bench", "hybrid", "--help"])
    assert r.exit_code == 0 and "--deadline-ms" in r.output
