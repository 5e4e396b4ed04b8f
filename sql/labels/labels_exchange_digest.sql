-- reads: xlabels
-- returns: rows (n, d1, d2)
-- params: none
-- Content digest of the (script, entity) pairs of view xlabels, independent of row order: the count
-- and two order-free 64-bit xors of per-pair hashes (one streaming pass, nothing held).
SELECT count(*)::BIGINT AS n, coalesce(bit_xor(hash(script, entity)), 0)::UBIGINT AS d1,
       coalesce(bit_xor(hash(entity, script, 'costbasis')), 0)::UBIGINT AS d2
FROM xlabels;
