"""Sensors: the VSS signal model, vehicle state with freshness, plausibility, MQTT, drive traces."""
