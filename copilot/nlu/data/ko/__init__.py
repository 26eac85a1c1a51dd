"""Korean vocabulary, cues and templates (YAML) of the understanding (copilot.nlu.ko)."""
