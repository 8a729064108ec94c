-- Cruscotto Performance: the one schema of the DuckDB store.
-- Every row of plan content belongs to one import (= one version of one plan);
-- plans.current_import_id points at the version shown by default.
-- Re-importing a plan adds a version, restoring moves the pointer: nothing is deleted.

CREATE SEQUENCE IF NOT EXISTS seq_plan START 1;
CREATE SEQUENCE IF NOT EXISTS seq_import START 1;
CREATE SEQUENCE IF NOT EXISTS seq_audit START 1;
CREATE SEQUENCE IF NOT EXISTS seq_ente START 1;
CREATE SEQUENCE IF NOT EXISTS seq_ente_merge START 1;

CREATE TABLE IF NOT EXISTS plans (
    plan_id           INTEGER PRIMARY KEY,
    ente              TEXT NOT NULL,
    titolo            TEXT NOT NULL,
    plan_key          TEXT NOT NULL UNIQUE,      -- normalised ente + titolo
    current_import_id INTEGER,
    created_at        TIMESTAMP NOT NULL
);
ALTER TABLE plans ADD COLUMN IF NOT EXISTS ente_id INTEGER;   -- enti.ente_id (filled on open for older databases)

CREATE TABLE IF NOT EXISTS imports (
    import_id         INTEGER PRIMARY KEY,
    plan_id           INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    file_name         TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    file_bytes        BLOB,
    imported_at       TIMESTAMP NOT NULL,
    imported_by       TEXT NOT NULL,
    anno_inizio       INTEGER NOT NULL,
    anno_fine         INTEGER NOT NULL,
    data_monitoraggio DATE,
    n_objectives      INTEGER NOT NULL,
    n_steps           INTEGER NOT NULL,
    n_verifications   INTEGER NOT NULL,
    n_indicators      INTEGER NOT NULL,
    n_staff           INTEGER NOT NULL,
    n_warnings        INTEGER NOT NULL,
    warnings_json     TEXT,
    UNIQUE (plan_id, version)
);

-- The audit trail, append-only (store/audit.py is its only writer, INSERT only): who did what, when,
-- on which plan/version, with what outcome. Actions: store/audit.py ACTIONS.
CREATE TABLE IF NOT EXISTS audit_log (
    audit_id   INTEGER PRIMARY KEY,
    happened_at TIMESTAMP NOT NULL,
    who        TEXT NOT NULL,
    action     TEXT NOT NULL,
    plan_id    INTEGER,
    import_id  INTEGER,
    detail     TEXT,
    outcome    TEXT              -- 'ok' | 'rifiutato' | 'errore'
);
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS outcome TEXT;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS ente_id INTEGER;   -- the ente concerned, when there is one

-- One identity per ente (store/enti.py): matched at import by Codice IPA, then normalised name, then alias.
-- plans.ente_id points at the ente; plans.ente keeps the ente's name (readable by every page) and follows
-- merges. An ente merged into another keeps its row (merged_into) so that the merge can be undone.
CREATE TABLE IF NOT EXISTS enti (
    ente_id     INTEGER PRIMARY KEY,
    nome        TEXT NOT NULL,
    codice_ipa  TEXT,                 -- official code of the public administration (indicepa.gov.it)
    nome_key    TEXT NOT NULL,        -- normalised name (store.enti.name_key)
    merged_into INTEGER,              -- while merged: the ente that absorbed it («unione enti»)
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS ente_aliases (
    ente_id    INTEGER NOT NULL,
    alias      TEXT NOT NULL,
    alias_key  TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT
);

-- Every merge, with the plans it moved, so that «separazione enti» moves exactly those back.
CREATE TABLE IF NOT EXISTS ente_merges (
    merge_id   INTEGER PRIMARY KEY,
    source_id  INTEGER NOT NULL,      -- the ente absorbed
    target_id  INTEGER NOT NULL,      -- the ente that remains
    plan_ids   TEXT NOT NULL,         -- JSON list of the plans moved
    merged_at  TIMESTAMP NOT NULL,
    merged_by  TEXT NOT NULL,
    undone_at  TIMESTAMP,
    undone_by  TEXT
);

CREATE TABLE IF NOT EXISTS areas (
    import_id INTEGER NOT NULL,
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    row_no    INTEGER
);

CREATE TABLE IF NOT EXISTS strategic_objectives (
    import_id INTEGER NOT NULL,
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    area_code TEXT,
    row_no    INTEGER
);

CREATE TABLE IF NOT EXISTS objectives (
    import_id     INTEGER NOT NULL,
    code          TEXT NOT NULL,
    title         TEXT NOT NULL,
    type          TEXT NOT NULL,
    weight        DOUBLE,          -- relative points (percent scale), NULL = not given
    weight_raw    TEXT,
    year_added    INTEGER,
    public_value  TEXT,
    stakeholders  TEXT,
    responsible   TEXT,
    missione      TEXT,
    programma     TEXT,
    description   TEXT,
    notes         TEXT,            -- unknown columns, kept as "header: value" lines
    row_no        INTEGER,
    ord           INTEGER          -- order of appearance in the sheet
);

-- many-to-many: objective -> strategic objective
CREATE TABLE IF NOT EXISTS objective_links (
    import_id      INTEGER NOT NULL,
    objective_code TEXT NOT NULL,
    strategic_code TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS steps (
    import_id        INTEGER NOT NULL,
    objective_code   TEXT NOT NULL,
    code             TEXT NOT NULL,
    description      TEXT NOT NULL,
    start_date       DATE,
    deadline         DATE,          -- original Termine
    revised_deadline DATE,          -- second date in Termine, or Nuovo termine of a verification
    deadline_raw     TEXT,
    continuous       BOOLEAN NOT NULL,   -- continuativo: Termine is not a date
    kpi              TEXT,
    weight           DOUBLE,        -- relative points; NULL = not given (equal weights)
    weight_raw       TEXT,
    responsible      TEXT,
    printed_year     INTEGER,       -- "peso step/<anno>" column, when present
    printed_year_weight DOUBLE,     -- its value in percent, checked against rule 1
    notes            TEXT,
    row_no           INTEGER,
    ord              INTEGER
);

CREATE TABLE IF NOT EXISTS verifications (
    import_id        INTEGER NOT NULL,
    objective_code   TEXT NOT NULL,
    step_code        TEXT NOT NULL,
    verified_on      DATE,
    status           TEXT NOT NULL,  -- normalised
    status_raw       TEXT,
    achievement      DOUBLE,         -- 0..100 as given, NULL = not given
    completed_on     DATE,
    new_deadline     DATE,
    note             TEXT,
    not_attributable BOOLEAN NOT NULL,
    row_no           INTEGER
);

CREATE TABLE IF NOT EXISTS indicators (
    import_id      INTEGER NOT NULL,
    objective_code TEXT NOT NULL,
    code           TEXT,
    name           TEXT NOT NULL,
    algorithm      TEXT,
    unit           TEXT,
    baseline_raw   TEXT,
    target_raw     TEXT,
    direction      TEXT,
    value_raw      TEXT,
    measured_on    DATE,
    org_area       TEXT,
    row_no         INTEGER
);

CREATE TABLE IF NOT EXISTS staff (
    import_id      INTEGER NOT NULL,
    objective_code TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT,
    participation  DOUBLE,   -- 0..100
    grade          DOUBLE,   -- 0..10
    row_no         INTEGER
);

-- The measuring system (SMVP profile, domain/profile.py) per ente and year, versioned: an edit inserts a
-- new version (nothing is updated in place); figures name the version they used. No row = Predefinito.
CREATE SEQUENCE IF NOT EXISTS seq_profile START 1;
CREATE TABLE IF NOT EXISTS measurement_profiles (
    profile_id  INTEGER PRIMARY KEY,
    ente        TEXT NOT NULL,       -- plans.ente
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,    -- 1, 2, … per (ente, year)
    name        TEXT NOT NULL,       -- preset name, or «… (personalizzato)»
    params_json TEXT NOT NULL,       -- Profile.to_json()
    source      TEXT NOT NULL,       -- 'pagina' | 'foglio' | 'riga di comando'
    saved_at    TIMESTAMP NOT NULL,
    saved_by    TEXT NOT NULL,
    UNIQUE (ente, year, version)
);
-- The act that approved the version (issue 15: «Delibera CdA n. 12 del 15/03/2024»), optional.
ALTER TABLE measurement_profiles ADD COLUMN IF NOT EXISTS act TEXT;

-- Accounts (issue 9): local users (argon2 hash) and their grants (user → ente, by the name shown in the
-- sidebar; store/access.py granted_entes() is the one place that reads them). No accounts = local mode.
-- Failed logins are counted per account (failed_logins, locked_until: rate limiting, store/users.py).
CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT,               -- argon2id (argon2-cffi); NULL for accounts that log in only with OIDC
    role          TEXT NOT NULL,      -- lettore | referente | direttore | valutatore | amministratore
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL,
    created_by    TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TIMESTAMP,
    last_login    TIMESTAMP
);

CREATE TABLE IF NOT EXISTS user_grants (
    username TEXT NOT NULL,
    ente     TEXT NOT NULL,           -- the ente as shown in the sidebar (plans.ente); see store/access.py
    PRIMARY KEY (username, ente)
);
