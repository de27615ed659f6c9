"""SoQL tokenizer, AST (Node) and recursive-descent parser: the text of one
clause ($select, $where, $order, $group, $having) -> a Node tree, or a
ParseError with its position.  Separate from the translation to SQL
(soql_translate) because parsing knows nothing of a dataset's columns or types.
"""

import re

from soql_errors import ParseError

# ---------------------------------------------------------------------------
# Tokenizer

_IDENT_START = re.compile(r"[A-Za-z_]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYSIDENT = re.compile(r":@?[A-Za-z_][A-Za-z0-9_@]*")
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_OPERATORS = ("::", "<=", ">=", "<>", "!=", "||", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",", ".")


class Token:
    __slots__ = ("kind", "value", "pos", "text")

    def __init__(self, kind, value, pos, text=None):
        self.kind = kind      # ident, sysident, string, number, op, eof
        self.value = value
        self.pos = pos
        self.text = text if text is not None else value

    def __repr__(self):
        return "Token(%s,%r,%d)" % (self.kind, self.value, self.pos)

    def is_kw(self, *words):
        return self.kind == "ident" and self.value.lower() in words

    def is_op(self, *ops):
        return self.kind == "op" and self.value in ops


def tokenize(text):
    toks = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "'" or c == '"':
            quote = c
            j = i + 1
            buf = []
            while True:
                if j >= n:
                    raise ParseError("Unterminated string literal", i)
                ch = text[j]
                if ch == quote:
                    if j + 1 < n and text[j + 1] == quote:
                        buf.append(quote)
                        j += 2
                        continue
                    j += 1
                    break
                buf.append(ch)
                j += 1
            toks.append(Token("string", "".join(buf), i, text[i:j]))
            i = j
            continue
        if c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise ParseError("Unterminated quoted identifier", i)
            toks.append(Token("ident", text[i + 1:j], i, text[i:j + 1]))
            toks[-1].kind = "qident"
            i = j + 1
            continue
        if c == ":":
            if text.startswith("::", i):
                toks.append(Token("op", "::", i))
                i += 2
                continue
            m = _SYSIDENT.match(text, i)
            if m and text.startswith(":*", i) is False:
                toks.append(Token("sysident", m.group(0), i))
                i = m.end()
                continue
            if text.startswith(":*", i):
                toks.append(Token("op", ":*", i))
                i += 2
                continue
            raise ParseError("Unexpected character ':'", i)
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _NUMBER.match(text, i)
            toks.append(Token("number", m.group(0), i))
            i = m.end()
            continue
        if _IDENT_START.match(c):
            m = _IDENT.match(text, i)
            toks.append(Token("ident", m.group(0), i))
            i = m.end()
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                toks.append(Token("op", op, i))
                i += len(op)
                break
        else:
            raise ParseError("Unexpected character %r" % c, i)
    toks.append(Token("eof", None, n, ""))
    return toks


# ---------------------------------------------------------------------------
# AST


class Node:
    """kind: col, lit, func, op, not, and, or, isnull, in, between, like, cast, star."""

    __slots__ = ("kind", "a", "b", "c", "d", "pos")

    def __init__(self, kind, a=None, b=None, c=None, d=None, pos=0):
        self.kind = kind
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.pos = pos

    def key(self):
        """Structural identity (for group-by matching)."""
        if self.kind == "col":
            return ("col", self.a)
        if self.kind == "lit":
            return ("lit", self.a, self.b)
        if self.kind == "star":
            return ("star",)
        parts = [self.kind]
        for f in (self.a, self.b, self.c, self.d):
            if isinstance(f, Node):
                parts.append(f.key())
            elif isinstance(f, list):
                parts.append(tuple(x.key() if isinstance(x, Node) else x for x in f))
            else:
                parts.append(f)
        return tuple(parts)

    def __repr__(self):
        return "Node(%s)" % (self.key(),)


KEYWORDS = {"and", "or", "not", "is", "null", "in", "between", "like", "true", "false",
            "as", "asc", "desc", "distinct"}
# Clause keywords can never start an expression, so in operand position they are
# read as column names (lenient: the real API wants `where` etc. backquoted).
CLAUSE_WORDS = {"select", "where", "order", "group", "having", "limit", "offset", "by", "search",
                "nulls", "first", "last"}


class Parser:
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    # -- helpers
    def peek(self, k=0):
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self):
        t = self.toks[self.i]
        if self.i < len(self.toks) - 1:
            self.i += 1
        return t

    def error(self, msg=None, tok=None):
        tok = tok or self.peek()
        if msg is None:
            if tok.kind == "eof":
                msg = "Unexpected end of input"
            else:
                msg = "Unexpected token %s" % (tok.text,)
        raise ParseError(msg, tok.pos)

    def expect_op(self, op):
        t = self.peek()
        if not t.is_op(op):
            self.error("Expected `%s' but got %s" % (op, t.text or "end of input"))
        return self.next()

    def at_end(self):
        return self.peek().kind == "eof"

    def expect_end(self):
        if not self.at_end():
            self.error()

    # -- grammar
    def expr(self):
        return self.or_expr()

    def or_expr(self):
        left = self.and_expr()
        while self.peek().is_kw("or"):
            t = self.next()
            right = self.and_expr()
            left = Node("or", left, right, pos=t.pos)
        return left

    def and_expr(self):
        left = self.not_expr()
        while self.peek().is_kw("and"):
            t = self.next()
            right = self.not_expr()
            left = Node("and", left, right, pos=t.pos)
        return left

    def not_expr(self):
        if self.peek().is_kw("not"):
            t = self.next()
            return Node("not", self.not_expr(), pos=t.pos)
        return self.comparison()

    def comparison(self):
        left = self.additive()
        t = self.peek()
        if t.is_op("=", "!=", "<>", "<", "<=", ">", ">="):
            self.next()
            right = self.additive()
            op = "!=" if t.value == "<>" else t.value
            return Node("op", op, [left, right], pos=t.pos)
        if t.is_kw("is"):
            self.next()
            neg = False
            if self.peek().is_kw("not"):
                self.next()
                neg = True
            if not self.peek().is_kw("null"):
                self.error("Expected NULL after IS")
            self.next()
            return Node("isnull", left, neg, pos=t.pos)
        neg = False
        if t.is_kw("not") and self.peek(1).is_kw("in", "between", "like"):
            self.next()
            neg = True
            t = self.peek()
        if t.is_kw("in"):
            self.next()
            self.expect_op("(")
            items = [self.expr()]
            while self.peek().is_op(","):
                self.next()
                items.append(self.expr())
            self.expect_op(")")
            return Node("in", left, items, neg, pos=t.pos)
        if t.is_kw("between"):
            self.next()
            lo = self.additive()
            if not self.peek().is_kw("and"):
                self.error("Expected AND in BETWEEN")
            self.next()
            hi = self.additive()
            return Node("between", left, lo, hi, neg, pos=t.pos)
        if t.is_kw("like"):
            self.next()
            pat = self.additive()
            return Node("like", left, pat, None, neg, pos=t.pos)
        if neg:
            self.error()
        return left

    def additive(self):
        left = self.multiplicative()
        while self.peek().is_op("+", "-", "||"):
            t = self.next()
            right = self.multiplicative()
            left = Node("op", t.value, [left, right], pos=t.pos)
        return left

    def multiplicative(self):
        left = self.unary()
        while self.peek().is_op("*", "/", "%"):
            t = self.next()
            right = self.unary()
            left = Node("op", t.value, [left, right], pos=t.pos)
        return left

    def unary(self):
        t = self.peek()
        if t.is_op("-", "+"):
            self.next()
            operand = self.unary()
            if t.value == "-" and operand.kind == "lit" and operand.a == "number":
                return Node("lit", "number", "-" + operand.b, pos=t.pos)
            if t.value == "+":
                return operand
            return Node("op", "neg", [operand], pos=t.pos)
        return self.postfix()

    def postfix(self):
        e = self.primary()
        while self.peek().is_op("::"):
            t = self.next()
            tt = self.next()
            if tt.kind != "ident":
                self.error("Expected a type name after ::", tt)
            e = Node("cast", e, tt.value.lower(), pos=t.pos)
        return e

    def primary(self):
        t = self.peek()
        if t.kind == "number":
            self.next()
            return Node("lit", "number", t.value, pos=t.pos)
        if t.kind == "string":
            self.next()
            return Node("lit", "text", t.value, pos=t.pos)
        if t.kind == "sysident":
            self.next()
            return Node("col", t.value.lower(), pos=t.pos)
        if t.kind == "qident":
            self.next()
            return Node("col", t.value.lower(), pos=t.pos)
        if t.is_op("("):
            self.next()
            e = self.expr()
            self.expect_op(")")
            return e
        if t.kind == "ident":
            low = t.value.lower()
            if low in ("true", "false"):
                self.next()
                return Node("lit", "boolean", low == "true", pos=t.pos)
            if low == "null":
                self.next()
                return Node("lit", "null", None, pos=t.pos)
            if self.peek(1).is_op("("):
                self.next()
                self.next()
                args = []
                distinct = False
                if self.peek().is_op("*"):
                    self.next()
                    args.append(Node("star", pos=self.peek().pos))
                elif not self.peek().is_op(")"):
                    if self.peek().is_kw("distinct"):
                        self.next()
                        distinct = True
                    args.append(self.expr())
                    while self.peek().is_op(","):
                        self.next()
                        args.append(self.expr())
                self.expect_op(")")
                return Node("func", low, args, distinct, pos=t.pos)
            if low in KEYWORDS:
                self.error()
            self.next()
            return Node("col", low, pos=t.pos)
        self.error()

    # -- clause parsers
    def alias_name(self):
        t = self.next()
        if t.kind == "sysident":
            return t.value.lower()
        if t.kind in ("ident", "qident"):
            return t.value.lower() if t.kind == "ident" else t.value
        self.error("Expected an alias after AS", t)

    def select_list(self):
        """[(kind, expr, alias)] where kind is 'expr', 'star' or 'sysstar'."""
        items = []
        distinct = False
        if self.peek().is_kw("distinct"):
            self.next()
            distinct = True
        while True:
            t = self.peek()
            # As the portal's parser: the stars first, the system one (:*) before the user one
            # (*), then the expressions; ":id,*" is refused.
            if t.is_op("*"):
                if any(kind == "expr" for kind, _, _ in items):
                    self.error("Star selections must come at the start of the select-list", t)
                self.next()
                items.append(("star", None, None))
            elif t.is_op(":*"):
                if any(kind == "expr" for kind, _, _ in items):
                    self.error("Star selections must come at the start of the select-list", t)
                if any(kind in ("star", "sysstar") for kind, _, _ in items):
                    self.error("System column star selections must come before user column star selections", t)
                self.next()
                items.append(("sysstar", None, None))
            else:
                start = self.peek().pos
                e = self.expr()
                alias = None
                if self.peek().is_kw("as"):
                    self.next()
                    alias = self.alias_name()
                items.append(("expr", e, alias))
                _ = start
            if self.peek().is_op(","):
                self.next()
                continue
            break
        self.expect_end()
        return distinct, items

    def order_list(self):
        items = []
        while True:
            e = self.expr()
            desc = False
            if self.peek().is_kw("asc"):
                self.next()
            elif self.peek().is_kw("desc"):
                self.next()
                desc = True
            nulls = None
            if self.peek().is_kw("nulls"):
                self.next()
                t = self.next()
                if not t.is_kw("first", "last"):
                    self.error("Expected FIRST or LAST", t)
                nulls = t.value.lower()
            items.append((e, desc, nulls))
            if self.peek().is_op(","):
                self.next()
                continue
            break
        self.expect_end()
        return items

    def expr_list(self):
        items = [self.expr()]
        while self.peek().is_op(","):
            self.next()
            items.append(self.expr())
        self.expect_end()
        return items

    def whole_expr(self):
        e = self.expr()
        self.expect_end()
        return e
