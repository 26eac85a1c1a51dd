"""Routing: region packs, places, routers (Valhalla on device, ORS in the cloud), planner."""
