"""llama.cpp runs on any x86-64-v3 machine: proved statically (its machine code) and by running it
in a child process, so a native crash is one named failure, never a dead test run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from copilot.native import isa, llama_probe

ROOT = Path(__file__).resolve().parents[1]


def test_build_conf_targets_v3_and_matches_the_pin() -> None:
    conf = isa.read_build_conf()
    assert conf.isa == "x86-64-v3"
    args = set(conf.cmake_args)
    assert "-DGGML_NATIVE=OFF" in args
    for off in ("AVX512", "AMX_TILE", "AMX_INT8", "AMX_BF16", "AVX_VNNI", "CPU_ALL_VARIANTS"):
        assert f"-DGGML_{off}=OFF" in args
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [d for d in deps if d.startswith("llama-cpp-python")]
    assert pins == [f"llama-cpp-python=={conf.version}"]
    import llama_cpp

    assert llama_cpp.__version__ == conf.version


@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils' objdump")
def test_installed_llama_has_no_instruction_beyond_v3() -> None:
    libs = isa.installed_libraries()
    assert any("ggml-cpu" in p.name for p in libs), libs
    report = isa.scan(libs)
    assert report.clean, isa.describe(report)


@pytest.mark.skipif(shutil.which("objdump") is None or shutil.which("gcc") is None,
                    reason="needs objdump and gcc")
def test_scan_finds_amx_and_avx512_in_a_library_that_has_them(tmp_path: Path) -> None:
    # The positive control: a library built with the very instructions that killed the run.
    src = tmp_path / "bad.c"
    src.write_text(
        "void amx(void) { __asm__ volatile (\"tilezero %tmm0\"); }\n"
        "void avx512(float *p) { __asm__ volatile (\"vmovups (%0), %%zmm1\" :: \"r\"(p)); }\n")
    lib = tmp_path / "libbad.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    report = isa.scan([lib])
    assert not report.clean
    assert set(report.findings["libbad.so"]) >= {"AMX", "AVX-512 registers"}
    assert "tilezero" in isa.describe(report)


def test_the_default_model_loads_and_generates_in_a_child() -> None:
    result = llama_probe.check(fresh=True)
    assert result.ok, result.detail
    assert result.tokens_per_s > 0


def test_a_child_killed_by_sigill_is_named_with_the_fix(tmp_path: Path) -> None:
    # A real process dying of SIGILL, read the way the probe reads its child.
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGILL)"]
    result = llama_probe.interpret(subprocess.run(crash, capture_output=True, text=True))
    assert not result.ok
    assert result.signal_name == "SIGILL"
    assert "illegal instruction" in result.detail and "--rebuild-llama" in result.detail


def test_unusable_llama_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    not_gguf = tmp_path / "broken.gguf"
    not_gguf.write_bytes(b"GGUF but not really" * 10)
    result = llama_probe.check(not_gguf, fresh=True)
    assert not result.ok and result.signal_name is None
    with pytest.raises(llama_probe.LlamaUnusable):
        llama_probe.ensure_usable(not_gguf)


def test_probe_command_prints_its_verdict() -> None:
    out = subprocess.run([sys.executable, "-m", "copilot.native.llama_probe"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.match(r"ok: generated \d+ tokens at [\d.]+/s", out.stdout)
