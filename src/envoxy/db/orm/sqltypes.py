"""Column types services use, in one import (``from envoxy.db.orm import sqltypes``)."""

from sqlalchemy import (
    DECIMAL,
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    Unicode,
    UnicodeText,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

Decimal = Numeric

__all__ = [
    "ARRAY",
    "DECIMAL",
    "JSON",
    "JSONB",
    "UUID",
    "BigInteger",
    "Boolean",
    "Date",
    "DateTime",
    "Decimal",
    "Enum",
    "Float",
    "Integer",
    "Interval",
    "Numeric",
    "SmallInteger",
    "String",
    "Text",
    "Time",
    "Unicode",
    "UnicodeText",
]
