-- Union-find edges: each input script of a non-CoinJoin multi-script tx linked to the tx's first script.
SELECT s.id AS a, f.id AS b
FROM inputs i
JOIN cluster_txs t ON i.height = t.height AND i.tx_index = t.tx_index AND NOT t.is_coinjoin
JOIN cluster_scripts s ON s.script = i.script
JOIN cluster_scripts f ON f.script = t.first_script
WHERE s.id <> f.id;
