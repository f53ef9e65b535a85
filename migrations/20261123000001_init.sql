-- Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Ids are text UUIDv7; times are integer Unix seconds (UTC).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT,
    groups_json   TEXT NOT NULL DEFAULT '[]',
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

CREATE INDEX users_name ON users (name, id);

-- tower-sessions records (JSON), shared by every replica.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
