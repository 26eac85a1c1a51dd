"""Korean understanding: the same `Understanding` as English, with `language: "ko"`.

    from copilot.nlu.ko import parse_korean, hangul_share
    parse_korean("공항으로 가 줘. 가는 길에 햄버거랑 커피 사고, 세탁소에서 옷도 찾아야 해.")

Vocabulary, cues and templates live in `copilot/nlu/data/ko/*.yaml`; the sampler
(`templates`) feeds the tests and the vosk grammar.
"""

from __future__ import annotations

from copilot.nlu.ko.parse import parse_korean
from copilot.nlu.ko.script import hangul_share, is_korean

__all__ = ["hangul_share", "is_korean", "parse_korean"]
