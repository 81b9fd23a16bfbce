"""The student maths language: characters -> tokens -> ``engine.syntax`` tree.

A small hand-written recursive-descent parser, so that every error can point at
the exact column and say what to try. Precedence, loosest first::

    expr    := term (('+' | '-') term)*
    term    := factor (('*' | '/') factor | <juxtaposition> factor)*
    factor  := ('+' | '-') factor | power
    power   := postfix ('**' | '^') factor
    postfix := primary superscript*          # x² is x**2
    primary := number | name | function '(' expr (',' expr)* ')'
             | '(' expr ')' | '√' primary

A matrix ``[[a, b], [c, d]]`` may only be the whole answer. Nothing here touches
SymPy: all limits (length, depth, digits) are enforced before any maths is done.
"""

import difflib

from engine.functions import TYPED
from engine.syntax import Binary, Call, Constant, Matrix, Name, Node, Number, Unary
from engine.tokens import MAX_DIGITS, MAX_LENGTH, ParseError, Token, tokenize

__all__ = ["MAX_DIGITS", "MAX_LENGTH", "ParseError", "parse_syntax", "suggest"]

MAX_DEPTH = 50

# The function names a student may type (canonical first) and their aliases.
FUNCTIONS = tuple(dict.fromkeys(record.name for record in TYPED.values()))
FUNCTION_ALIASES = {
    alias: record.name for alias, record in TYPED.items() if alias != record.name
}
ARITY = {record.name: record.arity for record in TYPED.values()}
CONSTANTS = ("pi", "e")
# Names a student may reach for; each maps to what to type instead.
SUGGESTIONS = {
    **{
        wrong: record.name for record in TYPED.values() for wrong in record.misspellings
    },
    "π": "pi",
    "E": "e",
}


class Parser:
    """Recursive descent over a token list; one instance per parse."""

    def __init__(self, tokens: list[Token], symbols: frozenset[str]):
        self.tokens = tokens
        self.position = 0
        self.symbols = symbols
        self.depth = 0

    # -- token helpers -------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.kind == "op" and self.token.text in texts

    def expect_close(self, opening: Token, closing: str) -> None:
        if self.at(closing):
            self.advance()
            return
        if self.token.kind == "end":
            raise ParseError(
                f"This '{opening.text}' is never closed: add a '{closing}'",
                opening.column,
            )
        raise self.unexpected(
            f"expected '{closing}' to close the '{opening.text}' "
            f"at column {opening.column}"
        )

    def unexpected(self, hint: str = "") -> ParseError:
        token = self.token
        if token.kind == "end":
            previous = self.tokens[self.position - 1] if self.position else None
            if previous is None:
                return ParseError("The answer is empty: type an expression", 1)
            return ParseError(
                f"The expression ends too early: something is missing after "
                f"'{previous.shown}'",
                token.column,
            )
        shown = token.shown
        if token.text == ")":
            hint = hint or "check your brackets"
        elif token.text == ",":
            if (
                self.position
                and self.tokens[self.position - 1].kind == "num"
                and self.tokens[self.position + 1].kind == "num"
            ):
                hint = "use a decimal point, like 2.5, not a comma"
            else:
                hint = hint or "commas only separate matrix entries"
        elif token.text in ("[", "]"):
            hint = "square brackets are only for a whole matrix, like [[1, 2], [3, 4]]"
        message = f"Unexpected '{shown}'"
        return ParseError(f"{message}: {hint}" if hint else message, token.column)

    def nest(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(
                f"The expression is nested too deeply (more than {MAX_DEPTH} levels)",
                column,
            )

    # -- grammar --------------------------------------------------------------

    def answer(self) -> Node:
        if self.at("["):
            node = self.matrix()
        else:
            node = self.expr()
        if self.token.kind != "end":
            raise self.unexpected()
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.at("+", "-"):
            op = self.advance()
            right = self.term()
            node = Binary(op.text, node, right, node.column)
        return node

    def term(self) -> Node:
        node = self.factor()
        while True:
            if self.at("*", "/"):
                op = self.advance()
                right = self.factor()
                if op.text == "/" and self.starts_implicit():
                    raise ParseError(
                        "This is ambiguous: write 1/(2*x) or (1/2)*x rather than 1/2x",
                        self.token.column,
                    )
                node = Binary(op.text, node, right, node.column)
            elif self.starts_implicit():
                right = self.power()
                node = Binary("*", node, right, node.column)
            else:
                return node

    def starts_implicit(self) -> bool:
        """True when the next token starts a factor with no operator before it."""
        token = self.token
        if token.kind == "num":
            raise ParseError(
                f"A number cannot follow directly here: add an operator before "
                f"'{token.text}' (like *)",
                token.column,
            )
        return token.kind == "name" or self.at("(", "√")

    def factor(self) -> Node:
        if self.at("+", "-"):
            op = self.advance()
            self.nest(op.column)
            operand = self.factor()
            self.depth -= 1
            return Unary(op.text, operand, op.column)
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at("**"):
            op = self.advance()
            self.nest(op.column)
            exponent = self.factor()
            self.depth -= 1
            return Binary("**", base, exponent, base.column)
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while self.token.kind == "sup":
            sup = self.advance()
            node = Binary(
                "**", node, Number(sup.value, sup.text, sup.column), node.column
            )
        return node

    def primary(self) -> Node:
        token = self.token
        if token.kind == "num":
            self.advance()
            return Number(token.value, token.text, token.column)
        if token.kind == "name":
            return self.name()
        if self.at("("):
            self.advance()
            self.nest(token.column)
            if self.at(")"):
                raise ParseError(
                    "Empty brackets: put an expression inside ( )", token.column
                )
            node = self.expr()
            self.expect_close(token, ")")
            self.depth -= 1
            return node
        if self.at("√"):
            self.advance()
            self.nest(token.column)
            operand = self.postfix()
            self.depth -= 1
            return Call("sqrt", (operand,), token.column)
        if self.at("["):
            raise ParseError(
                "A matrix must be the whole answer, like [[1, 2], [3, 4]]", token.column
            )
        raise self.unexpected()

    def name(self) -> Node:
        token = self.advance()
        word = token.text
        if word in self.symbols:
            return Name(word, token.column)
        function = FUNCTION_ALIASES.get(word, word)
        if function in FUNCTIONS:
            return self.call(function, token)
        if word in CONSTANTS:
            return Constant(word, token.column)
        raise ParseError(self.unknown_name_message(word), token.column)

    def call(self, function: str, name: Token) -> Node:
        if self.at("**") or self.token.kind == "sup":
            raise ParseError(
                f"Put the power after the brackets: write {name.text}(x)^2, "
                f"not {name.text}^2(x)",
                self.token.column,
            )
        if not self.at("("):
            raise ParseError(
                f"{name.text} needs its argument in brackets, like {name.text}(x)",
                name.column,
            )
        opening = self.advance()
        self.nest(opening.column)
        if self.at(")"):
            raise ParseError(
                f"{name.text}() is missing its argument: write {name.text}(x)",
                opening.column,
            )
        arguments = [self.expr()]
        arity = ARITY[function]
        while self.at(","):
            if len(arguments) == arity:
                raise ParseError(_arity_message(name.text, arity), self.token.column)
            self.advance()
            arguments.append(self.expr())
        if len(arguments) < arity:
            raise ParseError(_arity_message(name.text, arity), name.column)
        self.expect_close(opening, ")")
        self.depth -= 1
        return Call(function, tuple(arguments), name.column)

    def matrix(self) -> Matrix:
        opening = self.token
        following = self.tokens[self.position + 1]
        if following.kind == "op" and following.text == "[":
            self.advance()
        else:
            # ``[a, b]``: a list of numbers, which takes the orientation the
            # step needs (a bias, a 1-D tensor as PyTorch prints it).
            return Matrix((self.matrix_row(),), opening.column, flat=True)
        rows = [self.matrix_row()]
        while self.at(","):
            self.advance()
            row_column = self.token.column
            if not self.at("["):
                raise ParseError(
                    "Each matrix row must be in brackets, like [3, 4]", row_column
                )
            rows.append(self.matrix_row())
            if len(rows[-1]) != len(rows[0]):
                raise ParseError(
                    f"Row {len(rows)} has {_entries(len(rows[-1]))} but row 1 has "
                    f"{_entries(len(rows[0]))}: every row needs the same length",
                    row_column,
                )
        self.expect_close(opening, "]")
        return Matrix(tuple(rows), opening.column)

    def matrix_row(self) -> tuple[Node, ...]:
        opening = self.advance()
        entries = [self.expr()]
        while self.at(","):
            self.advance()
            entries.append(self.expr())
        self.expect_close(opening, "]")
        return tuple(entries)

    def unknown_name_message(self, word: str) -> str:
        shown = word if len(word) <= 20 else word[:20] + "..."
        hint = suggest(word, self.symbols)
        followed_by_call = self.at("(")
        if hint:
            return f"Unknown name '{shown}': did you mean {hint}?"
        if followed_by_call:
            names = ", ".join(FUNCTIONS)
            return f"Unknown function '{shown}': the functions are {names}"
        if self.symbols:
            names = ", ".join(sorted(self.symbols))
            return f"Unknown name '{shown}': the names you can use are {names}"
        return f"Unknown name '{shown}': this answer should contain only numbers"


def _arity_message(name: str, arity: int) -> str:
    if arity == 1:
        return f"{name} takes one argument only"
    count = {2: "two", 3: "three"}.get(arity, str(arity))
    example = ", ".join("abcd"[:arity])
    return f"{name} takes {count} arguments: write {name}({example})"


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def suggest(word: str, symbols: frozenset[str]) -> str | None:
    """A did-you-mean for an unknown name, or None.

    Examples
    --------
    >>> suggest("xy", frozenset({"x", "y"}))
    'x*y'
    >>> suggest("sigma", frozenset({"z"}))
    'sigmoid'
    >>> suggest("X", frozenset({"x"}))
    'x'
    """
    known = sorted(symbols) + list(FUNCTIONS) + list(CONSTANTS) + list(FUNCTION_ALIASES)
    if word in SUGGESTIONS:
        return SUGGESTIONS[word]
    same_case = [name for name in known if name.lower() == word.lower()]
    if same_case:
        return same_case[0]
    split = _split_into_names(word, symbols)
    if split:
        return "*".join(split)
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.75)
    return close[0] if close else None


def _split_into_names(word: str, symbols: frozenset[str]) -> list[str] | None:
    """Split ``xy`` into declared names ``[x, y]`` (longest names first)."""
    if len(word) > 30:
        return None
    names = sorted(set(symbols) | set(CONSTANTS), key=len, reverse=True)
    best: dict[int, list[str]] = {0: []}
    for end in range(1, len(word) + 1):
        for name in names:
            start = end - len(name)
            if start in best and word[start:end] == name:
                best[end] = best[start] + [name]
                break
    parts = best.get(len(word))
    return parts if parts and len(parts) > 1 else None


def parse_syntax(text: str, symbols) -> Node:
    """Parse student text into a syntax tree (no limits on values yet).

    Examples
    --------
    >>> parse_syntax("2x", {"x"})
    Binary(op='*', left=Number(value=Fraction(2, 1), text='2', column=1), \
right=Name(id='x', column=2), column=1)
    """
    if not isinstance(text, str):
        raise ParseError("The answer must be text", 1)
    tokens = tokenize(text)
    parser = Parser(tokens, frozenset(str(s) for s in symbols))
    if tokens[0].kind == "end":
        raise ParseError("The answer is empty: type an expression", 1)
    return parser.answer()
