"""Which language a message is in: "zh", "en", "mixed" (Chinese with English words), "other" or "unknown"."""

from __future__ import annotations

import re

_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Short English words that rarely appear in other Latin-script languages: tells English from French, Spanish...
_ENGLISH_WORDS = frozenset(
    """a an the i me my you your it its this that these those is are was be do does did have has can could
    would will shall should what which who how why where when any some more less most much many not no yes
    please pls plz thanks thank hi hey hello bye ok okay and or but with without for from of to in on at by
    show find want need like love get take buy add cart one ones first second third last other else all none
    cheap cheaper price size color colour black white red blue green something anything looking look under
    over about around between than too very just only also there here than them they we us our lol sure""".split()
)


def reply_language(text: str, detected: str, previous: str) -> str:
    """The language to answer in, "zh" or "en": the detected one when it is either; for a mixed or other-language
    message, Chinese when it has any Chinese character, else English; the previous one for an empty message."""
    if detected in ("zh", "en"):
        return detected
    if detected != "mixed" and not text.strip():
        return previous
    return "zh" if _HAN_RE.search(text) else "en"


def detect_language(text: str, known_words: frozenset[str] | set[str] | None = None) -> str:
    """zh when the letters are Chinese; en when they are English; mixed when both; other for other languages.

    A Latin-script message counts as English when enough of its words are English (or words the lexicon knows,
    passed as `known_words`); accented letters without English words mean another language ("Bonjour, comment
    ça va?" -> other). No letters at all (emoji, digits, punctuation, empty) is "unknown".
    """
    han = len(_HAN_RE.findall(text))
    latin_words = [w.lower() for w in _LATIN_WORD_RE.findall(text)]
    other = sum(1 for ch in text if ch.isalpha() and ord(ch) >= 0x250 and not _HAN_RE.match(ch))
    ascii_words = [w for w in latin_words if w.isascii()]
    if han:
        if ascii_words and sum(len(w) for w in ascii_words) >= 2:
            return "mixed"
        return "zh" if han >= other else "other"
    if not latin_words:
        return "other" if other else "unknown"
    latin_chars = sum(len(w) for w in latin_words)
    if other > latin_chars:
        return "other"
    known = known_words or frozenset()
    english = sum(1 for w in latin_words if w in _ENGLISH_WORDS or w in known)
    accented = sum(1 for w in latin_words if not w.isascii())
    foreign = sum(1 for w in latin_words if w in _OTHER_LATIN_WORDS)
    if english > accented + foreign:
        return "en"
    if accented or foreign >= 1 and len(latin_words) > 1:
        return "other"
    return "en"  # plain ASCII words: English with typos, slang or product names ("sneekers")


# Frequent function words of other Latin-script languages (French, Spanish, Portuguese, Italian, German, Dutch,
# Indonesian...).
_OTHER_LATIN_WORDS = frozenset(
    """le la les des est et je tu vous nous une un du au aux ce cette avec pour mais tres bien merci bonjour
    el los las es y que por para como pero muy gracias hola donde esta una con se del lo
    der die das und ist ich nicht ein eine mit fur auf bitte danke hallo wie was
    il di che non sono per della gli ciao grazie
    um uma nao obrigado voce com para
    yang dan ini itu tidak saya ada untuk dengan terima kasih apa
    het een niet ik je wat hoe dank""".split()
)
_LATIN_WORD_RE = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:'[A-Za-z]+)?")
