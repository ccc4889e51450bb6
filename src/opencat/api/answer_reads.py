"""What the full path says an answer was made of (``domain.search.AnswerReads``), for the layer
that keeps anonymous answers (api/current_copies.py): it is set in the request's scope, which
that layer reads once the answer is made."""

from opencat.api.endpoint import Call
from opencat.domain.search import AnswerReads

ANSWER_READS = "opencat.answer_reads"
# An answer made of any dataset (facets, suggestions): kept only across writes that log none.
ANY_DATASET = AnswerReads(None)


def note(call: Call, reads: AnswerReads) -> None:
    call.request.scope[ANSWER_READS] = reads
