"""Understanding what the shopper says, in Chinese and English: `parse(text, context) -> Parse`.

    >>> from vidrec.nlu import parse
    >>> parse("第二个是什么材质的", {"shown": 3}).model_dump()
    {'text': '第二个是什么材质的', 'lang': 'zh', 'intent': 'ask_detail',
     'slots': {'item_ref': 2, 'attribute': 'material'}, 'confidence': ...}
    >>> parse("a red dress under 200 for my wife").request.describe("en")
    'red dresses under 200, fit: women'
"""

from vidrec.nlu.lexicon import Lexicon, Mention
from vidrec.nlu.numbers import PriceMention, find_prices, parse_number, parse_price_range
from vidrec.nlu.parser import check_length, parse
from vidrec.nlu.schema import ATTRIBUTES, INTENTS, MAX_CHARS, Parse, Refs, Slots

__all__ = [
    "ATTRIBUTES", "INTENTS", "MAX_CHARS", "Lexicon", "Mention", "Parse", "PriceMention", "Refs", "Slots", "check_length",
    "find_prices", "parse", "parse_number", "parse_price_range",
]
