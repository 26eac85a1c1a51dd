"""Static proof that the installed llama.cpp uses no instruction beyond its target ISA.

A CPU without AMX or AVX-512 cannot show the crash that a `-march=native` build causes on one
that lists them, so the build is also checked by reading its machine code: `objdump -d` over
every shared library that llama-cpp-python ships, looking for register names and mnemonics
that exist only beyond x86-64-v3 (AVX-512's zmm / upper-16 vector registers and opmask
registers, EVEX-only and VNNI mnemonics, AMX tile instructions).
"""

from __future__ import annotations

import hashlib
import logging
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

BUILD_CONF = Path(__file__).resolve().parents[2] / "deploy" / "llama" / "build.conf"

# Each pattern names an extension that x86-64-v3 (AVX2, FMA, F16C, BMI2) does not include.
BEYOND_V3: dict[str, re.Pattern[str]] = {
    "AMX": re.compile(r"\b(tilezero|ldtilecfg|sttilecfg|tileloadd\w*|tilestored|tilerelease|"
                      r"tdpb\w+|tdpfp16ps|tcmmr?lfp16ps)\b"),
    "AVX-512 registers": re.compile(r"%(zmm\d+|[xy]mm(1[6-9]|2\d|3[01]))\b|%k[1-7]\b|\{1to\d+\}"),
    "AVX-512 mnemonics": re.compile(
        r"\b(k(mov|and|or|xor|not|shift\w*|test|ortest|add|unpck)[bwdq]\w*|vpternlog[dq]|"
        r"vpermt2\w+|vpermi2\w+|vpcompress\w+|vpexpand\w+|vcompressp[sd]|vexpandp[sd]|"
        r"vpconflict[dq]|vplzcnt[dq]|vpopcnt[bwdq]|vpmadd52\w+|vrndscale\w+|vgetexp\w+|"
        r"vgetmant\w+|vscalef\w+|vrcp14\w+|vrsqrt14\w+|vfixupimm\w+|vrange\w+|valign[dq]|"
        r"vpmov[bwdq]2m|vpmovm2[bwdq]|vcvtne2ps2bf16|vcvtneps2bf16|vdpbf16ps)\b"),
    "VNNI": re.compile(r"\b(vpdpbusds?|vpdpwssds?)\b"),
}


@dataclass(frozen=True)
class BuildConf:
    version: str
    isa: str
    cmake_args: tuple[str, ...]


def read_build_conf(path: Path = BUILD_CONF) -> BuildConf:
    """The project's llama.cpp build settings (the same file setup.sh reads)."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = " ".join(shlex.split(value))
    missing = {"LLAMA_VERSION", "LLAMA_ISA", "LLAMA_CMAKE_ARGS"} - values.keys()
    if missing:
        raise ValueError(f"{path}: missing {', '.join(sorted(missing))}")
    return BuildConf(values["LLAMA_VERSION"], values["LLAMA_ISA"],
                     tuple(values["LLAMA_CMAKE_ARGS"].split()))


@dataclass
class IsaReport:
    libraries: list[Path] = field(default_factory=list)
    findings: dict[str, dict[str, int]] = field(default_factory=dict)
    """library name -> extension -> number of instructions found."""
    examples: dict[str, str] = field(default_factory=dict)
    """library name -> one offending disassembly line."""

    @property
    def clean(self) -> bool:
        return bool(self.libraries) and not self.findings


_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in BEYOND_V3.values()))
"""One pass over every line first; the per-extension patterns only classify the hits."""


def installed_libraries() -> list[Path]:
    """The shared libraries of the installed llama_cpp package, one per distinct content
    (the wheel ships libfoo.so, .so.0 and .so.0.x as copies, not links)."""
    import llama_cpp

    root = Path(llama_cpp.__file__).resolve().parent
    seen: dict[str, Path] = {}
    for p in sorted(root.rglob("*.so*")):
        if p.is_file():
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            seen.setdefault(digest, p.resolve())
    return sorted(seen.values())


def scan(libraries: list[Path], objdump: str = "objdump") -> IsaReport:
    """Disassemble each library and count instructions beyond x86-64-v3, by extension."""
    report = IsaReport(libraries=list(libraries))
    for lib in libraries:
        proc = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(lib)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"objdump failed on {lib}: {proc.stderr.strip()[:200]}")
        counts: dict[str, int] = {}
        for line in proc.stdout.splitlines():
            # Only instruction lines carry a tab before the mnemonic.
            if "\t" not in line or not _ANY.search(line):
                continue
            for ext, pattern in BEYOND_V3.items():
                if pattern.search(line):
                    counts[ext] = counts.get(ext, 0) + 1
                    report.examples.setdefault(lib.name, line.strip())
        if counts:
            report.findings[lib.name] = counts
    return report


def describe(report: IsaReport) -> str:
    if not report.libraries:
        return "no llama.cpp libraries found"
    if report.clean:
        return f"{len(report.libraries)} libraries, no instruction beyond x86-64-v3"
    parts = [f"{lib}: " + ", ".join(f"{n} {ext}" for ext, n in exts.items())
             + f" (e.g. {report.examples.get(lib, '')})" for lib, exts in report.findings.items()]
    return "instructions beyond x86-64-v3 in " + "; ".join(parts)
