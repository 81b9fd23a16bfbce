"""The student maths language: characters -> tokens -> ``engine.syntax`` tree.

A small hand-written recursive-descent parser, so that every error can point at
the exact column and say what to try. Precedence, loosest first::

    expr    := term (('+' | '-') term)*
    term    := factor (('*' | '/') factor | <juxtaposition> factor)*
    factor  := ('+' | '-') factor | power
    power   := postfix ('**' | '^') factor
    postfix := primary superscript*          # x² is x**2
    primary := number | name | function '(' expr ')' | '(' expr ')' | '√' primary

A matrix ``[[a, b], [c, d]]`` may only be the whole answer. Nothing here touches
SymPy: all limits (length, depth, digits) are enforced before any maths is done.
"""

import difflib
from dataclasses import dataclass
from fractions import Fraction

from engine.syntax import Binary, Call, Constant, Matrix, Name, Node, Number, Unary

MAX_LENGTH = 1000
MAX_DEPTH = 50
MAX_DIGITS = 100  # digits in one number literal
MAX_SCIENTIFIC_EXPONENT = 400  # 1e400 at most

FUNCTIONS = (
    "exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "relu",
)  # fmt: skip
FUNCTION_ALIASES = {"ln": "log"}
CONSTANTS = ("pi", "e")
# Names a student may reach for; each maps to what to type instead.
SUGGESTIONS = {
    "sigma": "sigmoid", "sig": "sigmoid", "logistic": "sigmoid", "σ": "sigmoid",
    "ReLU": "relu", "Relu": "relu", "RELU": "relu", "max": "relu",
    "Abs": "abs", "π": "pi", "E": "e", "exponential": "exp",
}  # fmt: skip

SYMBOL_CHARS = {
    "+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "·": "*", "×": "*",
    "⋅": "*", "∙": "*", "∗": "*", "/": "/", "÷": "/", "∕": "/", "^": "**",
    "(": "(", ")": ")", "[": "[", "]": "]", ",": ",", "√": "√",
}  # fmt: skip
SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
    "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-",
}  # fmt: skip
SPACES = " \t\n\r\u00a0\u2009\u202f\u2002\u2003"
LETTER_ALIASES = {"σ": "sigmoid", "π": "pi"}
BAD_CHARACTERS = {
    "'": "Quotes are not allowed: type the expression itself, without quotes",
    '"': "Quotes are not allowed: type the expression itself, without quotes",
    "`": "Quotes are not allowed: type the expression itself, without quotes",
    "‘": "Quotes are not allowed: type the expression itself, without quotes",
    "’": "Quotes are not allowed: type the expression itself, without quotes",
    "“": "Quotes are not allowed: type the expression itself, without quotes",
    "”": "Quotes are not allowed: type the expression itself, without quotes",
    "!": "Factorials (!) are not supported",
    "=": "Type only the expression, without '=' (no equations or assignments)",
    "<": "Comparisons (<, >) are not allowed: type just the expression",
    ">": "Comparisons (<, >) are not allowed: type just the expression",
    ".": "Unexpected '.': a decimal point must be followed by digits, like 0.5",
    "|": "Write abs(x) for the absolute value |x|",
    "\\": "LaTeX commands are not accepted: type 1/2 instead of \\frac{1}{2}",
    "{": "Curly brackets are not allowed: use round brackets ( )",
    "}": "Curly brackets are not allowed: use round brackets ( )",
    ";": "Unexpected ';': type one expression only",
    ":": "Unexpected ':': type one expression only",
    "%": "Percentages are not supported: write 5% as 0.05",
}  # fmt: skip


class ParseError(Exception):
    """Student text that cannot be read, with the 1-based column to point at.

    Examples
    --------
    >>> err = ParseError("Unexpected ')': check your brackets", 7)
    >>> err.column, str(err)
    (7, "Column 7: Unexpected ')': check your brackets")
    """

    def __init__(self, message: str, column: int):
        super().__init__(message, column)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"Column {self.column}: {self.message}"


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "sup", "end"
    text: str  # the canonical text: "**" for "^", "-" for "−", "sigmoid" for "σ"
    column: int
    value: Fraction | None = None
    raw: str = ""  # as typed, for messages: "^" rather than "**"

    @property
    def shown(self) -> str:
        return self.raw or self.text


def tokenize(text: str) -> list[Token]:
    """Split student text into tokens, mapping pasted Unicode onto ASCII operators.

    Examples
    --------
    >>> [t.text for t in tokenize("2x² − σ(z)")]
    ['2', 'x', '2', '-', 'sigmoid', '(', 'z', ')', '']
    """
    if len(text) > MAX_LENGTH:
        raise ParseError(
            f"The answer is too long ({len(text)} characters; at most {MAX_LENGTH})",
            MAX_LENGTH + 1,
        )
    tokens, i = [], 0
    while i < len(text):
        char = text[i]
        if char in SPACES:
            i += 1
        elif (
            char.isdigit() and char.isascii() or char == "." and _digit_at(text, i + 1)
        ):
            token, i = _number(text, i)
            tokens.append(token)
        elif char.isascii() and (char.isalpha() or char == "_"):
            j = i
            while (
                j < len(text)
                and text[j].isascii()
                and (text[j].isalnum() or text[j] == "_")
            ):
                j += 1
            tokens.append(Token("name", text[i:j], i + 1))
            i = j
        elif char in LETTER_ALIASES:
            tokens.append(Token("name", LETTER_ALIASES[char], i + 1, raw=char))
            i += 1
        elif char == "*" and text[i + 1 : i + 2] == "*":
            tokens.append(Token("op", "**", i + 1))
            i += 2
        elif char in SYMBOL_CHARS:
            tokens.append(Token("op", SYMBOL_CHARS[char], i + 1, raw=char))
            i += 1
        elif char in SUPERSCRIPTS:
            j = i
            while j < len(text) and text[j] in SUPERSCRIPTS:
                j += 1
            tokens.append(_superscript(text[i:j], i + 1))
            i = j
        else:
            raise ParseError(_bad_character_message(char), i + 1)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _digit_at(text: str, i: int) -> bool:
    return i < len(text) and text[i].isascii() and text[i].isdigit()


def _number(text: str, start: int) -> tuple[Token, int]:
    """Read ``12``, ``0.5``, ``.5``, ``1.5e-3``; exact, and capped before any maths."""
    i = start
    while _digit_at(text, i):
        i += 1
    whole, fraction = text[start:i], ""
    if i < len(text) and text[i] == "." and _digit_at(text, i + 1):
        j = i + 1
        while _digit_at(text, j):
            j += 1
        fraction, i = text[i + 1 : j], j
    elif i < len(text) and text[i] == "." and whole:
        i += 1  # "2." is 2
    digits = (whole + fraction).lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise ParseError(
            f"This number has too many digits (at most {MAX_DIGITS})", start + 1
        )
    exponent = 0
    if i < len(text) and text[i] in "eE":
        j = i + 1
        if j < len(text) and text[j] in "+-":
            j += 1
        if _digit_at(text, j):
            k = j
            while _digit_at(text, k):
                k += 1
            if k - j > 3 or int(text[j:k]) > MAX_SCIENTIFIC_EXPONENT:
                raise ParseError(
                    f"The power of ten is too large (at most e{MAX_SCIENTIFIC_EXPONENT})",
                    i + 1,
                )
            exponent = int(text[i + 1 : k])
            i = k
    value = Fraction(int(whole + fraction or "0"), 10 ** len(fraction))
    value *= Fraction(10) ** exponent
    if i < len(text) and text[i] == "." and _digit_at(text, i + 1):
        raise ParseError("A number can have only one decimal point", i + 1)
    return Token("num", text[start:i], start + 1, value), i


def _superscript(chars: str, column: int) -> Token:
    ascii_text = "".join(SUPERSCRIPTS[c] for c in chars)
    if not ascii_text.lstrip("-").isdigit() or ascii_text.count("-") > 1:
        raise ParseError("This superscript is not a whole number", column)
    if len(ascii_text) > 5:
        raise ParseError("This superscript power is too large", column)
    return Token("sup", ascii_text, column, Fraction(int(ascii_text)))


def _bad_character_message(char: str) -> str:
    if char in BAD_CHARACTERS:
        return BAD_CHARACTERS[char]
    shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
    return f"Unexpected character {shown}: use numbers, names, + - * / ^ and brackets"


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
        argument = self.expr()
        if self.at(","):
            raise ParseError(f"{name.text} takes one argument only", self.token.column)
        self.expect_close(opening, ")")
        self.depth -= 1
        return Call(function, (argument,), name.column)

    def matrix(self) -> Matrix:
        opening = self.advance()
        if not self.at("["):
            raise ParseError(
                "A matrix needs one bracket per row: write [[1, 2]] for a single row",
                opening.column,
            )
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
    known = sorted(symbols) + list(FUNCTIONS) + list(CONSTANTS) + ["ln"]
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
