"""The sentences that present a diagnosis to a reader: the Mismatch doctor page and a notebook's
display of a ``Diagnosis`` say the same (English msgids, translated where they are shown)."""

from __future__ import annotations

from inspector.i18n.catalog import N_

HEALTHY = N_("Healthy: the output is {shape}.")
FOUND = N_("**The doctor found {count} problem(s)**")
PROBLEM = N_(
    "**{number}. `{module}`** ({kind}: expected {expected}, got {actual})\n\n{message}\n\n**Fix:** {fix}"
)
VERIFIED = N_(
    "Fix {number} is verified: with {changes} applied to a meta copy, the model gets past this point."
)
SUGGESTION = N_("Fix {number} is a suggestion: the doctor could not prove it on a meta copy.")
NOTE = N_("Note (not a problem): {note}")
NO_SIZE = N_(
    "The doctor found no input size that works: it tries sizes on the meta device for {budget} s at most."
)
VALID_SIZES = N_("Valid input sizes: {sizes}. {why}.")
MESSAGES = (HEALTHY, FOUND, PROBLEM, VERIFIED, SUGGESTION, NOTE, NO_SIZE, VALID_SIZES)
