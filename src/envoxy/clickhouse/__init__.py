"""ClickHouse: ``chsqlc``'s read-only queries (the optional extra
``envoxy[clickhouse]``; nothing here imports the driver until a query)."""
