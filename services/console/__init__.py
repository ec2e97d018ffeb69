"""The staff's web console: the `bamsos staff` terminal's work in a browser, in Bahasa Indonesia.

Officers log in (`/masuk`, accounts from `bamsos petugas`), see their unit's queue live (server-sent
events, htmx's SSE extension), take the next case (the control card's receipt carries their name),
answer with a template that cites its regulation (`shared/staff/answers.yaml`), escalate, finish or
re-route — all through `shared.staff.actions`, the one staff module both front ends use — and read
control cards, breach notices and the day's summary. Citizens' NIK/KK, phone numbers and e-mail
addresses are masked; the case's holder reveals them with a reason; every look is in the access log
(UU 27/2022), which the data-protection officer reads here, with data subjects' requests.
Starlette + Jinja2 (autoescaped) served by uvicorn, no front-end build: htmx, its SSE extension and
idiomorph are committed under `static/`.
"""
