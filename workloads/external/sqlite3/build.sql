-- mallocbench external workload: build, index, query and modify a table in an in-memory database.
-- The row count comes from temp.p(n), created on the command line (program.json passes it).
-- Everything is deterministic, so the printed checksum is the same under every allocator.
PRAGMA cache_size = -65536;

CREATE TABLE t(
  id INTEGER PRIMARY KEY,
  k INTEGER NOT NULL,
  name TEXT NOT NULL,
  tag TEXT NOT NULL,
  payload BLOB NOT NULL
);

INSERT INTO t(k, name, tag, payload)
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < (SELECT n FROM temp.p))
SELECT (i * 7919) % 100003,
       printf('name-%08d-%.*c', i, 1 + (i * 31) % 40, 'x'),
       printf('tag%03d', (i * 13) % 257),
       zeroblob(8 + (i * 17) % 300)
FROM c;

CREATE INDEX t_k ON t(k);
CREATE INDEX t_name ON t(name);
CREATE INDEX t_tag_k ON t(tag, k);

CREATE TEMP TABLE r(step TEXT, v INTEGER);

INSERT INTO r SELECT 'range', count(*) + sum(length(name)) FROM t WHERE k BETWEEN 1000 AND 60000;
INSERT INTO r SELECT 'groups', sum(c * m) % 1000000007 FROM (
  SELECT count(*) AS c, max(length(payload)) AS m FROM t GROUP BY tag
);
INSERT INTO r SELECT 'join', count(*) FROM t AS a JOIN t AS b ON b.k = a.k + 1 WHERE a.id % 7 = 0;
INSERT INTO r SELECT 'like', count(*) FROM t WHERE name LIKE 'name-0001%';
INSERT INTO r SELECT 'sorted', sum(id % 1000) FROM (SELECT id FROM t ORDER BY name DESC LIMIT 50000);

UPDATE t SET name = name || '-' || tag, payload = zeroblob(length(payload) / 2) WHERE id % 3 = 0;
DELETE FROM t WHERE id % 5 = 0;
INSERT INTO r SELECT 'after', count(*) + sum(length(name)) + sum(length(payload)) FROM t;

INSERT INTO r SELECT 'distinct', count(*) FROM (SELECT DISTINCT substr(name, 1, 12) FROM t);

-- ops: rows inserted + rows updated + rows deleted + queries (the unit of work the program reports)
SELECT 'ops=' || ((SELECT n FROM temp.p) + (SELECT n FROM temp.p) / 3 + (SELECT n FROM temp.p) / 5
                  + (SELECT count(*) FROM r));
SELECT 'checksum=' || (SELECT sum(v) % 1000000007 FROM r);
