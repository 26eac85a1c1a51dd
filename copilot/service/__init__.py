"""The in-car service over MQTT (CONTRACT.md section 4) and the parts around it.

    broker.Mosquitto        a real Mosquitto from deploy/mosquitto/ (tests, bench, simulator)
    server.CopilotService   requests in, replies out, sensors into the signal store
    pipeline.build_pipeline the real Copilot, speech in, map look-ups for proactive turns
    proactive.ProactiveMonitor  low range, hazard on the route, stop closed on arrival
    hmi.HmiClient           the head unit's side: send requests, collect replies by id
    speech_out              espeak-ng WAV replies on copilot/VIN/reply/audio (extension)
"""
