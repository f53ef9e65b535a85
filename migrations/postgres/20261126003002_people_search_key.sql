-- PostgreSQL only: users.search_key (20261126003001) kept by a trigger, and
-- filled for the people already known. lower() follows the database's locale.
CREATE FUNCTION users_search_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_key := lower(NEW.name || chr(31) || coalesce(NEW.user_name, '') || chr(31) || coalesce(NEW.email, ''));
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_search_key
    BEFORE INSERT OR UPDATE OF name, user_name, email ON users
    FOR EACH ROW EXECUTE FUNCTION users_search_key();

UPDATE users
SET search_key = lower(name || chr(31) || coalesce(user_name, '') || chr(31) || coalesce(email, ''));
