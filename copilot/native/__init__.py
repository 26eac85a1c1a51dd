"""Native parts that can kill a process (llama.cpp): a static ISA check, a child probe."""
