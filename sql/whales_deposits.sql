-- Whale deposits: exchange inflow transactions from non-exchange sources (no input labeled as any
-- exchange) in [$t_from, $t_to) that are over the threshold ($min_usd when given, else $min_sats)
-- or come from a wallet holding >= $whale_sats just before the transaction.
-- The source wallet = the union of the clusters (table `clusters`, from `labels expand`) of the
-- deposit's input scripts; an unclustered script is its own wallet. Its balance before the tx is
-- a running sum of the wallet's received (+) and spent (-) values ordered by (height, tx_index).
-- Source wallets that never received $whale_sats in total cannot hold it: their balance is only
-- computed when the deposit is over the value threshold (such deposits are not whale deposits).
-- Deposited coins: value-weighted age and creation price (block time ASOF price time), and the age
-- band holding most of the value.
WITH dep AS (
    SELECT e.height, e.tx_index, e.txid, e.entity, e.value, e.time, p.price_usd,
           e.value / 1e8 * p.price_usd AS value_usd,
           e.height::BIGINT * 1048576 + e.tx_index AS pos
    FROM exchange_txs e
    ASOF LEFT JOIN prices p ON CAST(make_timestamp(e.time * 1000000) AS DATE) >= p.date
    WHERE e.direction = 'in' AND NOT e.from_exchange AND e.time >= $t_from AND e.time < $t_to
),
dep_tx AS (SELECT DISTINCT height, tx_index, pos FROM dep),
dep_in AS (
    SELECT i.height, i.tx_index, i.script, i.address, i.value, i.created_height
    FROM inputs i SEMI JOIN dep_tx d ON i.height = d.height AND i.tx_index = d.tx_index
    WHERE i.height BETWEEN $h_lo AND $h_hi AND i.script IS NOT NULL
),
cl AS (
    SELECT script, cluster, address, min(script) OVER (PARTITION BY cluster) AS rep FROM clusters
),
src_key AS (
    SELECT DISTINCT d.height, d.tx_index, coalesce(cl.rep, d.script) AS key
    FROM dep_in d LEFT JOIN cl ON cl.script = d.script
),
members AS (
    SELECT k.key, coalesce(cl.script, k.key) AS script
    FROM (SELECT DISTINCT key FROM src_key) k LEFT JOIN cl ON cl.rep = k.key
),
key_size AS (SELECT key, count(*) AS n FROM members GROUP BY key),
-- Balances are needed only for wallets that could hold >= $whale_sats (received at least that much)
-- and for deposits already over the value threshold; pruning first keeps the running sums small.
received AS (
    SELECT m.key, sum(o.value) AS recv
    FROM outputs o JOIN members m ON o.script = m.script
    WHERE o.height <= $h_hi
    GROUP BY m.key
),
over_tx AS (
    SELECT DISTINCT height, tx_index FROM dep
    WHERE CASE WHEN $min_usd IS NULL THEN value >= $min_sats ELSE value_usd >= $min_usd END
),
could_hold AS (  -- deposits whose source wallets received >= $whale_sats in total
    SELECT s.height, s.tx_index FROM src_key s JOIN received r ON r.key = s.key
    GROUP BY s.height, s.tx_index HAVING sum(r.recv) >= $whale_sats
),
needed AS (
    SELECT s.key FROM src_key s SEMI JOIN could_hold c ON c.height = s.height AND c.tx_index = s.tx_index
    UNION
    SELECT s.key FROM src_key s SEMI JOIN over_tx o ON o.height = s.height AND o.tx_index = s.tx_index
),
key_id AS (SELECT key, row_number() OVER () AS kid FROM needed),
needed_members AS (SELECT k.kid, m.script FROM members m JOIN key_id k ON k.key = m.key),
events AS (
    SELECT m.kid, o.height::BIGINT * 1048576 + o.tx_index AS pos, o.value AS delta
    FROM outputs o JOIN needed_members m ON o.script = m.script
    WHERE o.height <= $h_hi
    UNION ALL
    SELECT m.kid, i.height::BIGINT * 1048576 + i.tx_index AS pos, -i.value AS delta
    FROM inputs i JOIN needed_members m ON i.script = m.script
    WHERE i.height <= $h_hi
),
running AS (
    SELECT kid, pos, sum(delta) OVER (PARTITION BY kid ORDER BY pos) AS balance
    FROM (SELECT kid, pos, sum(delta) AS delta FROM events GROUP BY kid, pos)
),
src_bal AS (
    SELECT s.height, s.tx_index, CASE WHEN bool_and(s.kid IS NOT NULL) THEN sum(coalesce(r.balance, 0)) END AS balance,
           sum(ks.n) AS cluster_size, min(s.key) AS key
    FROM (SELECT s.*, k.kid, s.height::BIGINT * 1048576 + s.tx_index AS pos
          FROM src_key s LEFT JOIN key_id k ON k.key = s.key) s
    ASOF LEFT JOIN running r ON s.kid = r.kid AND s.pos > r.pos
    JOIN key_size ks ON ks.key = s.key
    GROUP BY s.height, s.tx_index
),
coin AS (
    SELECT c.*, cp.price_usd AS created_price
    FROM (SELECT d.height, d.tx_index, d.value, cb.time AS created_time, t.time - cb.time AS age_s
          FROM dep_in d
          JOIN blocks cb ON cb.height = d.created_height
          JOIN blocks t ON t.height = d.height) c
    ASOF LEFT JOIN prices cp ON c.created_time >= cp.time
),
basis AS (
    SELECT height, tx_index,
           sum(value * created_price) / sum(value) FILTER (WHERE created_price IS NOT NULL) AS cost_basis_usd,
           sum(value::DOUBLE * age_s) / sum(value) / 86400.0 AS mean_age_days
    FROM coin GROUP BY height, tx_index
),
band_rank AS (
    SELECT c.height, c.tx_index, b.band,
           row_number() OVER (PARTITION BY c.height, c.tx_index ORDER BY sum(c.value) DESC, b.ord) AS rk
    FROM coin c JOIN age_bands b ON c.age_s >= b.lo_s AND c.age_s < b.hi_s
    GROUP BY c.height, c.tx_index, b.band, b.ord
),
key_addr AS (
    SELECT DISTINCT ON (key) key, address FROM (
        SELECT rep AS key, address FROM cl WHERE script = rep
        UNION ALL SELECT script AS key, address FROM dep_in
    ) ORDER BY key
)
SELECT d.txid,
       make_timestamp(d.time * 1000000) AS time,
       d.entity AS exchange,
       d.value / 1e8 AS value_btc,
       d.value_usd,
       ka.address AS source_cluster,
       s.cluster_size::BIGINT AS cluster_size,
       s.balance / 1e8 AS source_balance_btc,
       s.balance >= $whale_sats AS source_holds_1000,
       br.band AS age_band,
       b.mean_age_days,
       b.cost_basis_usd,
       d.price_usd,
       CASE WHEN b.cost_basis_usd > 0 THEN d.price_usd / b.cost_basis_usd - 1 END AS pnl_ratio,
       d.height
FROM dep d
JOIN src_bal s ON s.height = d.height AND s.tx_index = d.tx_index
LEFT JOIN basis b ON b.height = d.height AND b.tx_index = d.tx_index
LEFT JOIN band_rank br ON br.height = d.height AND br.tx_index = d.tx_index AND br.rk = 1
LEFT JOIN key_addr ka ON ka.key = s.key
WHERE (CASE WHEN $min_usd IS NULL THEN d.value >= $min_sats ELSE d.value_usd >= $min_usd END)
   OR coalesce(s.balance >= $whale_sats, false)
ORDER BY d.time, d.height, d.tx_index, d.entity;
