"""Stable reason codes for every verdict the safety layer gives.

Callers log these (the audit log, reports, metrics), so a code never changes its meaning
and is never reused; new findings get new codes. Values are short snake_case strings.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    # Request (the understanding)
    REQUEST_OK = "request_ok"
    REQUEST_INVALID = "request_invalid"
    REQUEST_TOO_MANY_STOPS = "request_too_many_stops"
    # What the driver asked for
    VEHICLE_CONTROL = "vehicle_control_refused"
    SAFETY_SYSTEM = "safety_system_refused"
    DISTRACTION_REQUEST = "distraction_request_refused"
    HARMFUL_REQUEST = "harmful_request_refused"
    # Actions
    ACTION_NOT_ALLOWED = "action_not_allowed"
    ACTION_MALFORMED = "action_malformed"
    ACTIONS_TOO_MANY = "actions_too_many"
    MODEL_OUTPUT_NOT_JSON = "model_output_not_json"
    MODEL_OUTPUT_TOO_LONG = "model_output_too_long"
    MODEL_OUTPUT_MALFORMED = "model_output_malformed"
    ACTIONS_WITHOUT_CONSENT = "actions_on_refusal_dropped"
    # Places
    PLACE_UNKNOWN = "place_unknown"
    PLACE_LOOKUP_FAILED = "place_lookup_failed"
    PLACE_UNIDENTIFIED = "place_unidentified"
    PLACE_CATEGORY_MISMATCH = "place_category_mismatch"
    PLACE_MOVED = "place_coordinates_mismatch"
    PLACE_OUTSIDE_REGION = "place_outside_region"
    PLACE_NOT_FINITE = "place_coordinates_not_finite"
    SAVED_PLACE_UNKNOWN = "saved_place_unknown"
    PLACE_CLOSED = "place_closed_at_arrival"
    PLACE_IN_HAZARD = "place_in_hazard"
    PLACE_NAME_NEUTRALISED = "place_name_neutralised"
    PLACES_TRIMMED = "places_trimmed_while_moving"
    # Routes
    ROUTE_TOO_MANY_STOPS = "route_too_many_stops"
    ROUTE_IMPLAUSIBLE = "route_implausible"
    ROUTE_DURATION_MISMATCH = "route_duration_mismatch"
    ROUTE_ETA_INCONSISTENT = "route_eta_inconsistent"
    ROUTE_THROUGH_HAZARD = "route_through_hazard"
    ARRIVE_BY_MISSED = "arrive_by_missed"
    RANGE_INSUFFICIENT = "range_insufficient"
    RANGE_UNCHECKED = "range_unchecked"
    DESTINATION_MISMATCH = "destination_mismatch"
    ROUTE_CHANGE_NOT_ASKED = "route_change_not_asked"
    ROUTE_PREFERENCE_UNMET = "route_preference_unmet"
    # Replies
    REPLY_SANITIZED = "reply_sanitized"
    REPLY_INJECTION = "reply_injection_replaced"
    REPLY_CLAIMS_CONTROL = "reply_claims_vehicle_control"
    REPLY_EMPTY = "reply_empty"
    REPLY_DEFERRED = "reply_deferred_while_moving"
    REPLY_ECHOES_REQUEST = "reply_echoes_request_replaced"
    # Untrusted text in general
    TEXT_INVISIBLE = "text_invisible_chars_removed"
