-- reads: sweep_labels, common_labels
-- returns: rows (heuristic, entity, added)
-- params: none
-- How many addresses each heuristic added per entity (what `labels expand` prints).
SELECT heuristic, entity, count(*)::BIGINT AS added
FROM (SELECT 'sweep' AS heuristic, entity FROM sweep_labels
      UNION ALL SELECT 'common_input', entity FROM common_labels)
GROUP BY heuristic, entity
ORDER BY heuristic, entity;
