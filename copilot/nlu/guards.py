"""Word-level guards on the learned model's intent (`overrule.guarded_intent` applies
them): questions, searches, reminders and lists, new trips, arrival questions.

A question never changes the route (contract section 1). The learned model decides the
intent; this grammar check is its guard: when the model says
navigate or add_stop but the driver asked a question ("should I avoid the highway to New
York", "is there a gas station on the way"), the turn becomes ask_eta or find_place, so it
is answered and the route is left alone. Requests phrased politely as questions ("can you
take me home", "could we stop for coffee", "would you mind ...") and questions that ask
for a route ("what's the fastest way to work") stay requests.
"""

from __future__ import annotations

import logging
import re

from copilot.nlu.polite import asks_politely

log = logging.getLogger(__name__)

_QUESTION_START = re.compile(
    r"^(is|are|was|were|isn't|aren't|do|does|did|should|shall|will|would|can|could|"
    r"has|have|what|what's|whats|which|where|where's|wheres|when|when's|how|how's|why|who|"
    r"any idea|is it|do you know|tell me (if|whether|how|when|what|where))\b")
_REQUEST = re.compile(
    r"^(can|could|would|will|won't)( you| ya| u| we| i| us)?( please| just| maybe| not)?"
    r"( be able to| kindly)?"
    r"( (take|drive|get|bring|navigate|route|direct|guide|find|add|stop|remove|drop|cancel|"
    r"head|go|swing|pop|pull|grab|pick|set|start|show me the way|give me directions|point|"
    r"make a stop|make|have|hit|skip|turn|end|get directions|redirect|reroute|plan|"
    r"change|switch|avoid|include|throw in|squeeze in|put|keep|stay|delete|forget|clear|"
    r"scrap|ditch|nix|scratch|lose|quit|abort|shut|kill|stop|reset)\b)|"
    r"^would it be (ok|okay|alright|all right|possible) (to|if) (we|i|you)? ?"
    r"(go|stop|head|add|take|swing|skip|drop|grab|pick)\b|"
    r"^(would|do) you mind\b|^(how|what) about\b|^why (don't|not) (we|you)\b|"
    r"^(can|could|may) (i|we) (get|have) (directions|a route|navigation)\b|"
    r"^(is it|it is) (ok|okay|possible|alright|all right) (to|if) ((we|i|you) )?(can )?"
    r"(go|stop|head|add|take|squeeze|swing|grab|pick|make a stop|fit|pull)\b")


# Asking for a route is asking to be routed: "what's the best way to get to work", "how do I
# get to Michigan", "is there another way home", "which route has the least traffic".
_ROUTE_SEEKING = re.compile(
    r"\b(?<!on the )(?<!along the )(?<!on my )(?<!on our )(way|ways)\b|"
    r"\b(route|routes|rout|directions|shortcut|alternate|alternative|detour|reroute|"
    r"re route|bypass|to go to|take to get|should i take|should we take|should i go|"
    r"should we go)\b|^how (do|can|would|should|could) (i|we) (get|go|drive|avoid|reach)\b|"
    r"\bhow to (get|go|drive|reach)\b")


# Questions about the roads, even with a route word in them: what to avoid ("any areas I
# should avoid", "what roads should I avoid to get to the museum"), whether the current route
# does something ("does this detour take me by the university", "do I need to take an
# alternate route"), and "tell me if/whether ...". They are answered, never acted on.
_ROAD_QUESTION = re.compile(
    r"\b(areas?|roads?|routes?|streets?|wrecks?|accidents?|spots?|places?|parts?|anything|"
    r"what|which) ((do|should|would|must) (i|we|you) |(i|we|you) (should|need to|have to|must) |"
    r"to |should be |(do|should) (i|we) (need to|have to) )(avoid|stay away from|stay off)\b|"
    r"^(do|does|did|will|is|would) (this|the|that|my|our) (detour|route|way|road|trip)\b|"
    r"^(do|does|will|would|should) (i|we) (need|have) to (take|use|find|go)\b|"
    r"^(can you |could you )?tell me (if|whether)\b|"
    r"^(can|could|will|would) (i|we) (get|make it|be) (from (here|this place) )?"
    r"(to|at|there|home)\b.*"
    r"\b(by|before|in time|on time)\b")
_ROAD_NEWS = re.compile(
    r"\btraffic (conditions|report|update|situation|info|information)\b|"
    r"^(any|is there any|are there any) (traffic|accidents?|wrecks?|crashes|construction|"
    r"delays?|closures?|road ?works|jams?|congestion|police|speed traps?|cops)\b|"
    r"^(the )?(shortest |total |driving )?(distance|drive time|driving time|travel time)"
    r" (from|to|between)\b|^(how much |the )?(drive |driving |travel )?time to (get to|reach|"
    r"drive to)\b")
# A search said as a command shows places and leaves the route alone ("locate the nearest gas
# station along my route", "pull up nearest gas station"), unless it also says to go there.
_SEARCH = re.compile(r"^(please )?(locate|pull up|look up|list|show me|search for|look for)\b|"
                     # "anything fast around", "any chargers nearby": asked, with no verb
                     r"^(um |uh |so |ok )?(anything|anywhere|any) ([\w'-]+ ){0,5}(around|nearby|"
                     r"close by|near here|near us|around here|on the way|along the way|"
                     r"on my way|on our way|on my route|on our route|on the route)\b")
# "find X" first is a search too (contract: find_place looks for places without changing the
# route), but "find me a way / route / directions to ..." asks to be routed.
_FIND = re.compile(r"^(please )?(can you |could you )?find\b")
_AND_GO = re.compile(r"\b(and|then) (take|get|bring|drive|route|navigate|guide|go|head|add|"
                     r"stop|swing|pull in|put)\b|\b(take me|get me|bring me) there\b")


def said(pattern: re.Pattern[str], tokens: list[str]) -> bool:
    """Whether the words match one of the phrase patterns below (GUIDANCE_OFF, ...)."""
    return pattern.search(_plain(tokens)) is not None


def _plain(tokens: list[str]) -> str:
    """The words as one string, commas left out (the patterns here match words)."""
    return " ".join(t for t in tokens if t != ",")


def is_question(tokens: list[str], seeking_a_route_asks: bool = True) -> bool:
    """Asked, not requested: a question word first, no request verb right after it, and not
    a request for a route; or a question about the roads or the route itself.

    `seeking_a_route_asks=False` for a reading that would end a trip or drop a stop: asking
    about a route ("is route 66 closed") never asks to cancel one."""
    plain = _plain(tokens)
    if _ROAD_QUESTION.search(plain) or _ROAD_NEWS.search(plain):
        # ... unless it leads to a request: "do you know the way to Graceland? take us there".
        return _THEN_ASKS.search(plain) is None
    if not _QUESTION_START.search(plain) or _REQUEST.search(plain) is not None or \
            asks_politely(plain):
        return False
    # "is there a Starbucks on my route": the route only says where the place asked about is.
    # ("find me gas on my route" is a search that adds a stop: `is_search` keeps the route.)
    plain = _ON_THE_ROUTE.sub(" ", plain)
    if _THEN_ASKS.search(plain) is not None or _LETS_DROP.search(plain) is not None:
        return False                      # "what's the cheapest gas on my route, let's stop there"
    return not seeking_a_route_asks or _ROUTE_SEEKING.search(plain) is None


_ON_THE_ROUTE = re.compile(r"\b(on|along) (the|my|our|this) route\b")
# A question followed by the request it leads to: "which one is closest, let's stop there",
# "is there a pharmacy nearby? take me there".
THEN_STOP = re.compile(r"\b(let's|lets|let us) (stop|add|swing by|pull in|hit|grab)\b|"
                       r"\badd (it|that|that one|the closest|the nearest)\b")
THEN_GO = re.compile(r"\b(let's|lets|let us) (go|head)\b|\b(take|get|bring) (me|us) there\b")
_THEN_ASKS = re.compile(f"{THEN_STOP.pattern}|{THEN_GO.pattern}")
# "do we really need the dry cleaner stop? let's skip it": the question leads to a request.
_LETS_DROP = re.compile(r"\b(let's|lets) (skip|drop|forget|scratch|ditch) (it|that|that one|"
                        r"this one|that stop)\b")


def is_search(tokens: list[str]) -> bool:
    """A command to look places up (shown, not routed): "locate", "pull up", "show me" ...
    without "and take me there"."""
    plain = _plain(tokens)
    if _AND_GO.search(plain) is not None:
        return False
    if _FIND.search(plain) is not None:
        return _ROUTE_SEEKING.search(plain) is None
    return _SEARCH.search(plain) is not None


_LOOKING = re.compile(r"^(where|where's|wheres|is there|are there|any|do you know (a|any|where)|"
                      r"what|which)\b")


def as_question(intent: str, tokens: list[str]) -> str:
    """The answering intent for a question the model read as a route change: looking for a
    place ("where can I get a burger on the way") is find_place, the rest are trip
    questions (ask_eta)."""
    if intent not in ("navigate", "add_stop", "remove_stop", "cancel"):
        return intent
    plain = _plain(tokens)
    if _ROAD_QUESTION.search(plain) or _ROAD_NEWS.search(plain):
        return "ask_eta"
    if intent in ("remove_stop", "cancel"):
        return "ask_eta"                     # "is route 66 closed down": about the roads
    return "find_place" if intent == "add_stop" or _LOOKING.search(plain) else "ask_eta"


# Reminders and lists name places and errands without asking to go anywhere now ("remember
# to pick me up from the airport at noon", "add milk to my shopping list").
_NOTE = re.compile(r"^(please |can you |could you )?(remind me|remember to|set a reminder|"
                   r"make a note|"
                   r"note to self|set (an|a|my) (alarm|timer)|wake me( up)?|write down|"
                   r"jot down|take a note|"
                   r"(add|put) .+ (to|on) (my|the) ([a-z]+ )?list)\b(?! of stops)|"
                   r"\b(bank|account|checking|savings|card) balance\b|"
                   # Messages, weather and ordering ahead are other domains too.
                   r"^(please |can you |could you )?(text|email|dial|reply to)\b|"
                   r"\b(send|text|write) (a |an )?(message|text|email)\b|"
                   r"^(is it|will it) (going to |gonna )?(rain|snow|storm)\b|"
                   r"^(what's|what is|how's|how is) the weather\b|"
                   r"\border\b.*\bahead\b|\b(mobile|pre) ?order\b|"
                   r"\b(from|off|on) (my|the) (shopping|grocery|to do|todo) list\b")


def is_note(tokens: list[str]) -> bool:
    """A reminder or a list edit: another domain, never a route change."""
    return _NOTE.search(_plain(tokens)) is not None


# A stop said together with where to go is a new trip, not a stop on the current one ("get me
# to the office, I need gas on the way", "on the way home stop at a coffee place", "route me
# to work through a charger"). "Before we get to my sister's" names the current destination
# and stays a stop.
_NEW_TRIP = re.compile(
    r"(?<!\bwe )(?<!\bi )(?<!\byou )(?<!\bthey )"
    r"\b(get|take|bring|drive|route|navigate|guide|head|heading|roll|roll on)( me| us)?"
    r"( up| down| over| out| on| back)? (to|towards)\b|"
    r"^(on|along) (the|my|our) way (home|to)\b|\bon (the|my|our) way to\b|"
    r"\b(we're|we are|i'm|i am) (heading|headed|going|driving) (back )?home\b")


def names_a_new_trip(tokens: list[str]) -> bool:
    """Where to go is said with the stops: navigate, not add_stop."""
    return _NEW_TRIP.search(_plain(tokens)) is not None


# A question about getting there that the model put in no domain ("any idea when we'll
# actually get there", "are we gonna be at the train station in time for the four fifty
# train"): a trip question, answered with the arrival.
_ARRIVAL_QUESTION = re.compile(
    r"^(um |uh |so |ok |okay )?(any idea |do you know |can you tell me )?"
    r"(when|what time|how long|how much longer|how soon)\b.*"
    r"\b(get there|get in|get home|arrive|arriving|be there|be home|reach|make it)\b|"
    r"^(um |uh |so |ok |okay )?(are|am|will|is) (we|i)( gonna| going to)? (be|get|make it|arrive)"
    r"\b.*\b(in time|on time|by|before|late|there yet)\b|"
    r"^(um |uh |so |ok |okay )?(we |i )?(gonna|going to) (make it|get there|get home|be there|"
    r"be home)\b.*\b(in time|on time|by|before|late|tonight)\b")


def asks_about_arriving(tokens: list[str]) -> bool:
    """When we get there, or whether we make it: ask_eta."""
    plain = _plain(tokens)
    return _ARRIVAL_QUESTION.search(plain) is not None or _WONDER_IN_TIME.search(plain) is not \
        None or _HOW_THE_DRIVE_GOES.search(plain) is not None


# "I wonder whether we'll make it to Graceland before it closes": wondering is asking.
_WONDER_IN_TIME = re.compile(r"^(i )?(wonder|wondering|not sure|unsure) (if|whether)\b.*"
                             r"\b(make it|get there|get to|arrive|be there|reach)\b")
# How the drive is going: traffic, delays, the timing ("will the Lincoln Tunnel be jammed at
# this hour", "how's our timing looking", "why are we crawling").
_HOW_THE_DRIVE_GOES = re.compile(
    r"\b(jammed|backed up|congested|gridlocked|bumper to bumper|crawling|the holdup|"
    r"the hold up|slowdown|our timing|the timing|our eta|the eta|on schedule|on track|"
    r"how far out|how much farther|how much further|how much longer)\b")


# A doubt about the time said as a statement ("I'm not sure we have time for coffee",
# "don't know if we've got time to stop for gas"): a question, answered, never a stop added.
TIME_DOUBT = re.compile(r"^(i'm |i am |im )?(not sure|unsure|don't know|dont know|doubt|wonder)"
                        r" (if |whether )?(we've got|i've got|we have|i have|we got|i got|"
                        r"we still have|we'll have) (the |enough )?time (for|to)\b")


# A stop dropped by a verb of forgetting it ("forget the dry cleaner, they're closed",
# "skip the pickup at Lincoln Elementary"): remove_stop.
_ERRAND_VERB = r"( picking up| getting| going to| stopping at| stopping for| the stop at)?"
STOP_DROPPED = re.compile(r"^(ok |okay |actually |so |hey )?(skip|forget|scratch|nix|ditch|"
                          rf"forget about|never mind|nevermind){_ERRAND_VERB} (the|my|that|our|"
                          r"this)\b|"
                          r"\b(let's|lets) (skip|drop|forget|scratch|ditch|cut) (it|that|that one|"
                          r"this one|that stop)\b|"
                          # "any way to skip picking up the dry cleaning", "can we drop the bank"
                          r"\b(way to|can we|could we|we could|we can) (just )?(skip|drop|scratch|"
                          rf"ditch){_ERRAND_VERB} (the|my|that|our|this)\b")



# Switching the guidance off is stopping the trip's directions, not operating the car
# ("would you mind shutting off the turn by turn"); its voice or volume stays a car setting.
GUIDANCE_OFF = re.compile(
    r"\b(stop|end|cancel|kill|quit|turn off|turning off|shut off|shutting off|switch off|"
    r"switching off)( the| my| this)? (turn by turn|turn-by-turn|navigation|guidance|"
    r"directions|nav)\b(?! (voice|volume|sound|audio|screen|display|lady|guy))")



# "ugh just take me hom please, this day has been endless": a plain request to be driven to a
# known place (saved or a kind) that the model put in no domain.
_TAKE_ME = re.compile(
    r"\b(take|drive|bring|get|navigate|route|direct) (me|us)( back)?( to| over to| towards)?"
    r"( the| my| our| a| an| nearest| closest)* place\b|"
    r"^(please |just )?(navigate|directions|head|go) (back )?(to )?(the |my |our |a |an )?place\b")
_TAKE_ME_TO = re.compile(r"\b(take|drive|bring|get|navigate|route|direct) (me|us)( back)? "
                         r"(to|over to|towards)\b")


# A preference said as a command ("no more gravel roads ok?", "stay off the interstate"): a
# change to the route, even with a question mark after it.
PREFERENCE_SAID = re.compile(r"^(ok |okay |so |and )?(no more|no|avoid|stay off|keep (me|us) off|"
                             r"don't take|do not take|skip the|stay away from|let's avoid|"
                             r"let's stay off)\b")


# Asked plainly to be driven to a named place ("could you take us to Powell's Books", "would
# you mind driving us to the French Quarter"): a trip, whatever the name sounds like.
DRIVEN_TO = re.compile(r"^(can|could|would|will|please|just)?( you)?( please| mind)? ?"
                       r"(take|taking|drive|driving|bring|bringing|get|getting|point|pointing|"
                       r"run|ferry) "
                       r"(me|us) (over |back |down |up |out )?(to|towards|toward)\b")


def asks_to_be_driven(skeleton: str, tokens: list[str]) -> bool:
    """A verb of driving someone with a place the rules know right after it (in the
    skeleton), or said with "to" before it ("bring me to the closest pizza place")."""
    return _TAKE_ME.search(skeleton) is not None or _TAKE_ME_TO.search(_plain(tokens)) is not None


# "can we not stop at the grocery store after all": a stop taken back, not added.
NOT_STOPPING = re.compile(r"\b(not|don't|do not|no need to|no longer) (stop|stopping|go|going) "
                           r"(at|by|for|to)\b")



# What the car carries and measures: a question about these is about the vehicle; one that
# names none of them ("could we make it to the post office before it closes") is about time.
VEHICLE_WORDS = {"tank", "charge", "charged", "charging", "battery", "range", "fuel", "gas",
                 "diesel", "petrol", "juice", "tire", "tires", "tyre", "tyres", "oil",
                 "pressure", "mileage", "mpg", "odometer", "engine", "brake", "brakes",
                 "coolant", "washer", "fluid", "kwh", "percent", "electricity", "power"}


# The narrower set that turns a trip question with no place into a vehicle question ("is the
# range estimate counting the cold"): fuel and charge words stay out, since "how long to the
# gas station" is a trip.
CAR_STATE_ASKED = frozenset({"range", "battery", "tire", "tires", "oil"})


def names_vehicle_state(tokens: list[str]) -> bool:
    return bool(VEHICLE_WORDS & set(tokens))


IN_TIME = re.compile(r"\b(make it|get there|get to|arrive|be there|reach)\b.*"
                      r"\b(before|by|in time|on time|late|closes|closing)\b")



# "cancel the trip, the meeting moved", "I'd like to end the route now": guidance stopped.
ENDS_THE_TRIP = re.compile(r"\b(cancel|end|stop|quit|abort|scrap|ditch|call off) (the|this|my|our) "
                            r"(whole |current )?(trip|route|navigation|guidance|directions)\b")



# The car's own parts and fluids, asked about: a vehicle question ("is my washer fluid low",
# "how worn are my brake pads").
_CAR_PART = re.compile(
    r"\b(my|the|our|car's) (\w+ )?(tank|battery|tire|tires|tyre|tyres|oil|engine|brake|brakes|"
    r"pads|coolant|washer|fluid|odometer|transmission|wipers|headlights?|alternator)\b")


def asks_about_the_car(tokens: list[str]) -> bool:
    plain = _plain(tokens)
    return _CAR_PART.search(plain) is not None and _QUESTION_START.search(plain) is not None


# "let's add a hotel for the night", "please add a pharmacy": a stop added, not a new trip.
ADD_START = re.compile(r"^(ok |okay |so |and )?(let's|lets|please|can you|could you|we should|"
                        r"i want to|i'd like to|we need to)? ?(also )?add\b")



# A sentence that opens by asking to be driven somewhere is that request, whatever follows
# ("Navigate to Riverside Hospital, my son's injury looks worse than we thought").
OPENS_WITH_ROUTE = re.compile(
    r"^(please |ok |okay |so )?(navigate|take (me|us)|drive (me|us)|route (me|us)|bring (me|us)|"
    r"get (me|us)|give me directions|directions|head|go|drive) (to|over to|back to|towards)\b")



# Rides and deliveries the copilot cannot book ("get me a lyft back to the hotel",
# "doordash me some tacos"): said plainly, never a route.
# "in this cab" is the truck's cab, not a taxi.
RIDE_OR_DELIVERY = re.compile(r"\b(uber|lyft|taxi|(?<!this )(?<!the )(?<!my )(?<!our )cab|"
                              r"rideshare|doordash|grubhub|ubereats|"
                              r"postmates|instacart|seamless)\b(?! (stand|rank|stop|line))|"
                              # Flights and tickets bought: "the cheapest nonstop to Orlando"
                              r"\b(nonstops?|non-stop flights?|airfares?|plane tickets?|"
                              r"(cheapest|cheap|book|booking|buy|buying) (me )?(a |an |the |my )?"
                              r"(flights?|tickets?|seats?))\b")

# Police, speed traps and checkpoints: never searched for or routed around.
EVADING = re.compile(r"\b(speed traps?|radar traps?|speed cameras?|police checkpoints?|"
                     r"dui checkpoints?|sobriety checkpoints?|cops? (ahead|around|up ahead))\b")

# The car operated ("set the cruise at 70"), whatever place word is said with it.
CAR_COMMAND = re.compile(r"^(ok |okay |please |go ahead and |can you |could you )?"
                         r"((set|turn on|turn off|activate|engage|cancel|resume) (the )?"
                         r"(cruise|cruise control|adaptive cruise|lane assist|lane keeping|"
                         r"wipers|defrost|defroster|seat heater|seat heaters|hazards|fog lights)|"
                         r"(pop|open|close|shut) (the |my )?(trunk|hood|tailgate|liftgate|frunk|"
                         r"sunroof|moonroof|windows?|hatch|back)|roll (up|down) (the )?windows?|"
                         r"(turn off|shut off|silence|mute|stop) (the |that )?(lane departure|"
                         r"lane keep|lane keeping|beeping|chime|chiming|dinging))\b")
# A climate complaint ("Lord, it's freezing in this cab", "way too hot in here"): the car's
# climate, as understand.jsonl labels it.
CLIMATE_COMPLAINT = re.compile(r"\b(freezing|too cold|too hot|boiling|roasting|sweltering|"
                               r"stuffy|so cold|so hot|baking)\b.*\b(in here|in this|in the "
                               r"(car|cab|truck|van))\b|^(it's|its|man it's|lord it's) "
                               r"(freezing|boiling|roasting|sweltering|so cold|so hot)\b")

# "how long till I need to charge": the car's range, not a trip.
UNTIL_REFUEL = re.compile(r"\b(till|until|before) (i|we) (need to|have to|gotta|must) "
                          r"(charge|recharge|refuel|fill up|get gas|stop for gas)\b")

# Opening hours asked about a place ("what time does the Trader Joe's close", "is the
# Walgreens on Colfax open 24 hours", "what are the hours for the car wash"): a search whose
# answer is on the map (opening_hours), not a trip question. Making it there before closing
# ("will we get there before it closes") stays a trip question.
HOURS_ASKED = re.compile(
    r"^(do you know |any idea )?(what time|when) .*\b(open|close|closes|opens|closing|"
    r"opening)\b|^(is|are) (the |that |this )?.*\b(open|still open|closed)\b|"
    r"\b(the|its|their|opening|business|store) hours\b|"
    r"\bopen (now|late|24|twenty four|all night|today|tonight|on sundays?|till|until)\b")
_ARRIVING = re.compile(r"\b(make it|get there|get to|arrive|be there|reach|in time)\b")


# Roads and their state: "is the bridge to Tybee Island open", "is there traffic near JFK"
# ask about the drive (ask_eta), not about a place's hours or whereabouts.
_ROADS = re.compile(r"\b(traffic|roads?|streets?|bridges?|highways?|freeways?|interstates?|"
                    r"thruway|turnpike|tunnels?|routes?|hwy|delays?|closures?|construction|"
                    r"obstructions?|accidents?|wrecks?|detours?|repairs?|lanes?|exit|i ?\d+)\b")


def asks_opening_hours(tokens: list[str]) -> bool:
    plain = _plain(tokens)
    return HOURS_ASKED.search(plain) is not None and _ARRIVING.search(plain) is None and \
        _ROADS.search(plain) is None


# "are there any In-N-Outs on the way to Vegas", "is there a taqueria near here": looking for
# a kind of place (find_place), unless it asks about the roads ("is there any traffic").
_LOOKING_FOR = re.compile(r"^(is there|are there|any|do you see|do you know (of )?(a|any))\b")


def looks_for_a_place(tokens: list[str]) -> bool:
    plain = _plain(tokens)
    return _LOOKING_FOR.search(plain) is not None and _ROAD_NEWS.search(plain) is None \
        and _ROAD_QUESTION.search(plain) is None and _ROADS.search(_ON_THE_ROUTE.sub(
            " ", plain)) is None


# Whether the car has the energy for a trip ("will we get to Yosemite on a quarter tank",
# "should I charge before heading to Santa Cruz", "can we reach the cabin without stopping
# for gas", "how long to charge to 80 percent"): the vehicle's range, not a trip question.
ENOUGH_ENERGY = re.compile(
    r"\bon (a|one|half a|a quarter|a half|this|the|our|my|what's left of (the|my|our)) "
    r"(\w+ )?(tank|charge|battery)\b|"
    r"\bwithout (stopping|having to stop|a stop) (for|to) (gas|fuel|charge|charging|refuel)\b|"
    r"^(should|do|will|would|must) (i|we) (need to |have to )?(charge|recharge|fill up|"
    r"get gas|refuel|stop for gas|stop to charge|top up)\b|"
    r"\b(need|have|got) to (charge|recharge|fill up|refuel|stop for gas|get gas|stop to "
    r"charge) (before|on the way|along the way|to get)\b|"
    r"\bcharge (it |the car |the battery )?(up )?to (\d+|eighty|ninety|full|a hundred)\b|"
    r"^how many (miles|kilometers|km) (did|have) (we|i)\b")
