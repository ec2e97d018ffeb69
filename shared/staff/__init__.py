"""The staff's work: see a unit's queue, take the oldest case (the control card's receipt),
answer, escalate, finish, read a control card (`actions`, one module for every front end), and
`bamsos staff`, its terminal front end (`terminal`)."""
