"""The in-car copilot: speech, understanding, dialog, hybrid orchestration, service, simulator."""
