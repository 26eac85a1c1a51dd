"""Safety validation latency per turn (median, p90): `python bench/safety_bench.py [--map PBF]`.

The same benchmark as `copilot bench safety` (copilot/commands/safety.py holds the code so
the installed command has it too).
"""

from __future__ import annotations

import sys

from copilot.commands.safety import bench_safety

if __name__ == "__main__":
    bench_safety.main(args=sys.argv[1:], prog_name="safety_bench")
