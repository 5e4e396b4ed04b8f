"""Market context: off-chain series (ETF flows, klines and taker volume, funding, liquidations,
index closes, CryptoQuant/CoinGlass exports) imported as Parquet series and joined by UTC day
with the on-chain metrics.

formats/   one module per export format: detect from the header, parse into normalized rows
series.py  the normalized row schema and the per-file row builder (interval, aggregation)
importer.py  parse fully, then upsert into <cache>/context/<name>.parquet through the Store
catalog.py   the stored series and their metrics (list, metric lookup)
query.py     values per hour/day (sql/context/context_by_period.sql)
join.py      `--with a,b,c` on the daily on-chain commands
events.py    the event study
"""
