"""Safety: pure validators. Data in, verdict out; no I/O and no model imports."""
