-- PostgreSQL only: full-text search of the catalog (issue 22). A trigram index
-- on access_items.search_text, so a word of three characters or more is found
-- as a substring (LIKE '%word%') by the index instead of by reading every row
-- (db::items::list; SQLite's twin is an FTS5 trigram index, same number).
-- pg_trgm is created as for the people search (20261126003003); where it
-- cannot be, the search still works, by scanning.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX access_items_search_trigrams ON access_items USING gin (search_text gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'catalog search without trigram index: %', SQLERRM;
END;
$$;
