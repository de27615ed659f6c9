"""SoQL errors: the exceptions the parser, the translator and the query compiler
raise, each with the error code and the kind of envelope ("malformed" or
"analysis") the server answers with.  A module of their own so that every SoQL
module can raise them, and the server catch SoQLError, without importing one
another.
"""

# ---------------------------------------------------------------------------
# Errors


class SoQLError(Exception):
    """Base class.  kind selects the error envelope the server sends."""

    kind = "malformed"
    code = "query.compiler.malformed"

    def __init__(self, message, position=None, data=None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.data = data or {}


class ParseError(SoQLError):
    kind = "malformed"
    code = "query.compiler.malformed"


class NoSuchColumn(SoQLError):
    kind = "analysis"
    code = "query.soql.no-such-column"


class TypeMismatch(SoQLError):
    kind = "analysis"
    code = "query.soql.type-mismatch"


class NoSuchFunction(SoQLError):
    kind = "analysis"
    code = "query.soql.no-such-function"


class NotInGroupBy(SoQLError):
    kind = "analysis"
    code = "query.soql.column-not-in-group-bys"


class AggregateInUngrouped(SoQLError):
    kind = "analysis"
    code = "query.soql.aggregate-in-ungrouped-context"


class DuplicateAlias(SoQLError):
    kind = "analysis"
    code = "query.soql.duplicate-alias"


class BadParameter(SoQLError):
    kind = "malformed"
    code = "query.compiler.malformed"
