-- SQLite only: users.search_key (20261126003001) kept by triggers, and filled
-- for the people already known. lower() folds ASCII letters here.
CREATE TRIGGER users_search_key_on_insert AFTER INSERT ON users
BEGIN
    UPDATE users
    SET search_key = lower(NEW.name || char(31) || coalesce(NEW.user_name, '') || char(31) || coalesce(NEW.email, ''))
    WHERE id = NEW.id;
END;

CREATE TRIGGER users_search_key_on_update AFTER UPDATE OF name, user_name, email ON users
BEGIN
    UPDATE users
    SET search_key = lower(NEW.name || char(31) || coalesce(NEW.user_name, '') || char(31) || coalesce(NEW.email, ''))
    WHERE id = NEW.id;
END;

UPDATE users
SET search_key = lower(name || char(31) || coalesce(user_name, '') || char(31) || coalesce(email, ''));
