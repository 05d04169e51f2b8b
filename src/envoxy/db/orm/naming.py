"""Table names: ``aux_`` + the plural of the snake_case class name.

``Product`` -> ``aux_products``, ``Category`` -> ``aux_categories``,
``OrderItem`` -> ``aux_order_items``, ``ClaimHistory`` -> ``aux_claim_histories``,
``Person`` -> ``aux_people``. Only the last word is pluralised, with inflect,
except for the curated words below that inflect gets wrong; a word that is
already plural (``settings``, ``users``) is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

import inflect

from envoxy.db.orm.constants import AUX_TABLE_PREFIX

__all__ = ["PLURAL_EXCEPTIONS", "pluralize", "prefixed", "snake_case", "table_name_for"]

#: Words whose plural inflect gets wrong: uncountables, acronyms, Latin/Greek forms.
PLURAL_EXCEPTIONS: dict[str, str] = {
    "analytics": "analytics",
    "audio": "audio",
    "chaos": "chaos",
    "data": "data",
    "dice": "dice",
    "equipment": "equipment",
    "ethos": "ethos",
    "feedback": "feedback",
    "firmware": "firmware",
    "gps": "gps",
    "hardware": "hardware",
    "information": "information",
    "kudos": "kudos",
    "lens": "lenses",
    "matrix": "matrices",
    "media": "media",
    "metadata": "metadata",
    "middleware": "middleware",
    "news": "news",
    "series": "series",
    "settings": "settings",
    "sms": "sms",
    "software": "software",
    "species": "species",
    "staff": "staff",
    "stats": "stats",
    "traffic": "traffic",
    "vertex": "vertices",
}

# Singular words inflect would mistake for plurals (bus, alias, analysis...).
_SINGULAR_ENDINGS = ("us", "is", "as", "os", "ss")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_engine = inflect.engine()


def snake_case(name: str) -> str:
    """``OrderItem`` -> ``order_item``, ``HTTPRequest`` -> ``http_request``."""
    return _CAMEL.sub("_", name).replace("-", "_").lower()


@lru_cache(maxsize=1024)
def _plural_word(word: str) -> str:
    if word in PLURAL_EXCEPTIONS:
        return PLURAL_EXCEPTIONS[word]
    if not word.endswith(_SINGULAR_ENDINGS) and _engine.singular_noun(word):
        return word  # already plural
    return str(_engine.plural_noun(word))


def pluralize(snake: str) -> str:
    """Pluralise the last word of a snake_case name."""
    head, sep, last = snake.rpartition("_")
    return f"{head}{sep}{_plural_word(last)}" if last else snake


def prefixed(name: str, prefix: str = AUX_TABLE_PREFIX) -> str:
    """``name`` with the service prefix (unchanged when it already has it)."""
    return name if name.startswith(prefix) else prefix + name


def table_name_for(class_name: str, prefix: str = AUX_TABLE_PREFIX) -> str:
    """The table a model class gets when it does not name one."""
    return prefixed(pluralize(snake_case(class_name)), prefix)
