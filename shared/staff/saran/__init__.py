"""Answer suggestions for the officer: templates and past answers by lexical retrieval (issue 26).

`Suggester` is what the console and `bamsos saran` call; `usage` counts what officers inserted.
"""

from shared.staff.saran.past import PastAnswers
from shared.staff.saran.suggest import Suggester
from shared.staff.saran.suggestion import Suggestion
from shared.staff.saran.templates import Template

__all__ = ["PastAnswers", "Suggester", "Suggestion", "Template"]
