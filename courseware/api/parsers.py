"""Request parsers: DRF's JSON parser, with a body nested too deeply answered as 400.

Python's ``json`` raises ``RecursionError`` on a body such as ``[[[[...]]]]``
a few thousand levels deep; DRF's parser lets it through as a 500.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "JSON parse error - the body is nested too deeply: send flat JSON."
            ) from None
