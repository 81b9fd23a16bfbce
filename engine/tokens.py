"""Characters -> tokens for the student maths language, with pasted Unicode
(``−`` ``·`` ``×`` ``÷`` ``σ`` ``π`` ``√`` ``²``) mapped onto ASCII operators.

Numbers are read exactly (``Fraction``) and capped in digits and powers of ten
before any arithmetic; anything that is not maths (quotes, ``!``, ``=``, ``|``,
LaTeX) stops here with a message saying what to type instead.
"""

from dataclasses import dataclass
from fractions import Fraction

MAX_LENGTH = 1000
MAX_DIGITS = 100  # digits in one number literal
MAX_SCIENTIFIC_EXPONENT = 400  # 1e400 at most

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
