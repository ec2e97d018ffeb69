"""The staff's work, for every front end: see a unit's queue, take the oldest case (the control
card's receipt), answer, escalate, finish, re-route (`actions`); what an officer may do to a task
and what they are told (`vocabulary`); a case's control card (`card`); and `bamsos staff`, the
terminal front end (`terminal`). The web console (`services/console`) is the other."""
