"""Exceptions for routing: every one carries a message a driver (or a CLI user) can read.

`code` is a stable short reason the dialog maps onto a contract status; `str(exc)` is the
human sentence. Nothing here is raised for programming errors: those stay plain exceptions.
"""

from __future__ import annotations


class RoutingError(Exception):
    """Base class: a problem with the map, a place or a route that the user can act on."""

    code = "routing_error"


class MapError(RoutingError):
    """The region pack cannot be built or opened."""

    code = "map_error"


class CorruptMapError(MapError):
    """The .pbf file is missing, unreadable or not an OSM PBF extract."""

    code = "corrupt_map"


class EmptyMapError(MapError):
    """The .pbf file is valid but holds no drivable roads."""

    code = "empty_map"


class OutsideMapError(RoutingError):
    """A location (usually the vehicle) lies outside the on-board map."""

    code = "outside_map"


class UnreachableError(RoutingError):
    """No drivable route exists between two places on the on-board map."""

    code = "unreachable"


class UnknownSavedPlaceError(RoutingError):
    """The driver named a saved place ("my gym") that the profile does not hold."""

    code = "unknown_saved_place"

    def __init__(self, label: str, known: tuple[str, ...] = ()) -> None:
        self.label = label
        self.known = known
        hint = f" Saved places: {', '.join(known)}." if known else " No places are saved."
        super().__init__(f"There is no saved place called '{label}'.{hint}")


class ProfileError(RoutingError):
    """The profile YAML cannot be read or does not match the expected shape."""

    code = "bad_profile"


class RouterUnavailableError(RoutingError):
    """A remote router (openrouteservice) did not answer or answered with an error."""

    code = "router_unavailable"


class NoCandidatesError(RoutingError):
    """The map holds no usable place of a requested category (none at all, or none open)."""

    code = "no_candidates"

    def __init__(self, category: str, message: str) -> None:
        self.category = category
        super().__init__(message)


class InfeasibleError(RoutingError):
    """No plan satisfies the constraints (range, opening hours, reachability)."""

    code = "infeasible"
