-- SQLite only: full-text search of the catalog (issue 22). An FTS5 index of
-- trigrams over access_items.search_text, so a word of three characters or
-- more is found as a substring by the index instead of a LIKE over every row
-- (db::items::list; PostgreSQL's twin is a pg_trgm index, same number).
--
-- FTS5's external content must be keyed by a rowid that never changes, and
-- VACUUM may renumber the implicit rowid of a table keyed by text (ids are
-- UUIDv7 text), so the indexed text lives in access_items_search, keyed by an
-- INTEGER PRIMARY KEY. Triggers keep both true for every writer of items.
CREATE TABLE access_items_search (
    seq         INTEGER PRIMARY KEY,
    item_id     TEXT NOT NULL UNIQUE,
    search_text TEXT NOT NULL
);

CREATE VIRTUAL TABLE access_items_fts USING fts5(
    search_text,
    content = 'access_items_search',
    content_rowid = 'seq',
    tokenize = 'trigram'
);

CREATE TRIGGER access_items_search_on_insert AFTER INSERT ON access_items
BEGIN
    INSERT INTO access_items_search (item_id, search_text) VALUES (NEW.id, NEW.search_text);
END;

CREATE TRIGGER access_items_search_on_update AFTER UPDATE OF search_text ON access_items
BEGIN
    UPDATE access_items_search SET search_text = NEW.search_text WHERE item_id = NEW.id;
END;

CREATE TRIGGER access_items_search_on_delete AFTER DELETE ON access_items
BEGIN
    DELETE FROM access_items_search WHERE item_id = OLD.id;
END;

CREATE TRIGGER access_items_fts_on_insert AFTER INSERT ON access_items_search
BEGIN
    INSERT INTO access_items_fts (rowid, search_text) VALUES (NEW.seq, NEW.search_text);
END;

CREATE TRIGGER access_items_fts_on_update AFTER UPDATE OF search_text ON access_items_search
BEGIN
    INSERT INTO access_items_fts (access_items_fts, rowid, search_text)
    VALUES ('delete', OLD.seq, OLD.search_text);
    INSERT INTO access_items_fts (rowid, search_text) VALUES (NEW.seq, NEW.search_text);
END;

CREATE TRIGGER access_items_fts_on_delete AFTER DELETE ON access_items_search
BEGIN
    INSERT INTO access_items_fts (access_items_fts, rowid, search_text)
    VALUES ('delete', OLD.seq, OLD.search_text);
END;

INSERT INTO access_items_search (item_id, search_text)
SELECT id, search_text FROM access_items;
