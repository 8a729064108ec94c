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
-- Personale, spec revision 3 (issue 17, premi): optional columns.
ALTER TABLE staff ADD COLUMN IF NOT EXISTS matricola TEXT;
ALTER TABLE staff ADD COLUMN IF NOT EXISTS part_time DOUBLE;        -- 0..100, «Part-time %»
ALTER TABLE staff ADD COLUMN IF NOT EXISTS presence DOUBLE;         -- 0..100, «Presenza %»
ALTER TABLE staff ADD COLUMN IF NOT EXISTS service_months DOUBLE;   -- 0..12, «Mesi di servizio»
ALTER TABLE staff ADD COLUMN IF NOT EXISTS category TEXT;           -- «Categoria» (area contrattuale)

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

-- The SMVP's bonus rules (issue 17, domain/profile.py BonusRules) per ente and year, versioned like
-- measurement_profiles: an edit inserts a new version (audited as «profilo»). No row = no fund set.
CREATE SEQUENCE IF NOT EXISTS seq_bonus_rules START 1;
CREATE TABLE IF NOT EXISTS bonus_rules (
    rules_id    INTEGER PRIMARY KEY,
    ente        TEXT NOT NULL,       -- plans.ente
    year        INTEGER NOT NULL,
    version     INTEGER NOT NULL,    -- 1, 2, … per (ente, year)
    name        TEXT NOT NULL,
    params_json TEXT NOT NULL,       -- BonusRules.to_json()
    source      TEXT NOT NULL,       -- 'pagina' | 'riga di comando'
    saved_at    TIMESTAMP NOT NULL,
    saved_by    TEXT NOT NULL,
    UNIQUE (ente, year, version)
);

-- Year-end closing (issue 16): the variance register, the validation workflow, the carte di lavoro and the
-- frozen validated record. Every table is insert-only: an edit inserts a new row (the latest row per key
-- is the current one), so the history is kept; every insert is audited (store/audit.py).
CREATE SEQUENCE IF NOT EXISTS seq_variance START 1;
CREATE TABLE IF NOT EXISTS variance_entries (
    entry_id        INTEGER PRIMARY KEY,
    plan_id         INTEGER NOT NULL,
    year            INTEGER NOT NULL,
    level           TEXT NOT NULL,        -- 'obiettivo' | 'step' | 'indicatore'
    objective_code  TEXT NOT NULL,
    step_code       TEXT NOT NULL DEFAULT '',
    indicator       TEXT NOT NULL DEFAULT '',
    cause           TEXT,                 -- 'esogena' | 'endogena' | 'indicatore' (indicatore o target non adeguato)
    imputabile      TEXT,                 -- 'sì' | 'no' | 'in parte'
    description     TEXT,
    evidence        TEXT,
    treatment       TEXT NOT NULL DEFAULT 'nessuno',   -- 'nessuno' | 'neutralizzazione' | 'ripesatura'
    new_weight      DOUBLE,
    decision_organ  TEXT,                 -- e.g. «Consiglio di Amministrazione»
    decision_act    TEXT,                 -- e.g. «Delibera CdA n. 5 del 10/03/2024»; NULL = not decided
    decision_date   DATE,
    proposed_by     TEXT,
    decided_by      TEXT,
    source          TEXT NOT NULL,        -- 'pagina' | 'foglio' | 'riga di comando'
    saved_at        TIMESTAMP NOT NULL,
    saved_by        TEXT NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS seq_closing START 1;
CREATE TABLE IF NOT EXISTS closing_events (
    event_id     INTEGER PRIMARY KEY,
    plan_id      INTEGER NOT NULL,
    year         INTEGER NOT NULL,
    action       TEXT NOT NULL,          -- 'approva' | 'invia' | 'valida' | 'riapri'
    state        TEXT NOT NULL,          -- the state after the event (metrics/closing.py STATES)
    act          TEXT,                   -- approval act, e.g. «Delibera CdA n. 12 del 20/06/2024»
    act_number   TEXT,
    act_date     DATE,
    reason       TEXT,                   -- riapri: why
    happened_at  TIMESTAMP NOT NULL,
    who          TEXT NOT NULL,
    role         TEXT NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS seq_work_paper START 1;
CREATE TABLE IF NOT EXISTS work_papers (
    paper_id     INTEGER PRIMARY KEY,
    plan_id      INTEGER NOT NULL,
    year         INTEGER NOT NULL,
    level        TEXT NOT NULL,          -- 'criterio' | 'obiettivo'
    item         TEXT NOT NULL,          -- criterion key (metrics/closing.py CRITERIA) or objective code
    data_source  TEXT,
    method       TEXT,                   -- 'controllo documentale' | 'ricalcolo' | 'campione'
    sample_n     INTEGER,
    sample_total INTEGER,
    outcome      TEXT,                   -- 'conforme' | 'con rilievi' | 'non conforme'
    note         TEXT,
    saved_at     TIMESTAMP NOT NULL,
    saved_by     TEXT NOT NULL
);

-- The frozen validated record: inserted when a plan-year becomes «validata», never updated; a «riapri»
-- event after it voids it (metrics/closing.py). sha256 = SHA-256 of figures_json (canonical JSON).
CREATE SEQUENCE IF NOT EXISTS seq_snapshot START 1;
CREATE TABLE IF NOT EXISTS validated_snapshots (
    snapshot_id     INTEGER PRIMARY KEY,
    plan_id         INTEGER NOT NULL,
    year            INTEGER NOT NULL,
    event_id        INTEGER NOT NULL,    -- closing_events: the validation
    import_id       INTEGER NOT NULL,
    plan_version    INTEGER NOT NULL,
    profile_version INTEGER NOT NULL,
    as_of           DATE NOT NULL,
    figures_json    TEXT NOT NULL,
    sha256          TEXT NOT NULL,
    validated_at    TIMESTAMP NOT NULL,
    validated_by    TEXT NOT NULL
);

-- The Relazione sulla performance's context texts (section 2, «Contesto e risorse»), written by the ente in
-- the app, per ente (plans.ente) and year, one row per block and version: saving inserts a new version
-- (never an update; store/relazione.py is the writer, with a «contesto relazione» audit event).
CREATE SEQUENCE IF NOT EXISTS seq_relazione_text START 1;
CREATE TABLE IF NOT EXISTS relazione_texts (
    text_id    INTEGER PRIMARY KEY,
    ente       TEXT NOT NULL,         -- plans.ente
    year       INTEGER NOT NULL,
    block      TEXT NOT NULL,         -- store/relazione.py BLOCKS: presentazione | territorio | popolazione | …
    version    INTEGER NOT NULL,      -- 1, 2, … per (ente, year, block)
    body       TEXT NOT NULL,         -- '' = the block emptied
    saved_at   TIMESTAMP NOT NULL,
    saved_by   TEXT NOT NULL,
    UNIQUE (ente, year, block, version)
);

-- Issue 18: monitoring rounds over Excel (loaders/rounds.py). A round collects the verifications at one
-- reference date from every Responsabile of a plan version; closing it imports a new version.
CREATE SEQUENCE IF NOT EXISTS seq_round START 1;
CREATE TABLE IF NOT EXISTS rounds (
    round_id         INTEGER PRIMARY KEY,
    plan_id          INTEGER NOT NULL,
    import_id        INTEGER NOT NULL,    -- the plan version the round was opened on
    reference_date   DATE NOT NULL,       -- Data verifica of every answer (e.g. 31/08/2023)
    due_date         DATE NOT NULL,       -- answers expected by this date
    secret           TEXT NOT NULL,       -- key of the workbooks' signatures (HMAC-SHA256)
    opened_at        TIMESTAMP NOT NULL,
    opened_by        TEXT NOT NULL,
    closed_at        TIMESTAMP,
    closed_by        TEXT,
    closed_import_id INTEGER,             -- the version written by the closing
    missing_json     TEXT                 -- JSON ["objective/step", …]: the steps left without an answer
);

-- The steps each responsible of a round is asked about (one row per responsible and step; a step named
-- for several responsibles has several rows). row_no: the Excel row of the step in that workbook.
CREATE TABLE IF NOT EXISTS round_assignments (
    round_id       INTEGER NOT NULL,
    responsible    TEXT NOT NULL,         -- as first written in the plan («senza responsabile» group)
    resp_key       TEXT NOT NULL,         -- normalised (loaders.rounds.resp_key)
    email          TEXT,
    objective_code TEXT NOT NULL,
    step_code      TEXT NOT NULL,
    row_no         INTEGER NOT NULL
);

-- The answers received, one row per responsible and step answered. chosen: for a step answered by several
-- responsibles who disagree, NULL until the direttore chooses (TRUE on the answer kept).
CREATE TABLE IF NOT EXISTS round_answers (
    round_id       INTEGER NOT NULL,
    resp_key       TEXT NOT NULL,
    objective_code TEXT NOT NULL,
    step_code      TEXT NOT NULL,
    verified_on    DATE NOT NULL,
    status_raw     TEXT,
    achievement    DOUBLE,
    completed_on   DATE,
    new_deadline   DATE,
    note           TEXT,
    answered_at    TIMESTAMP NOT NULL,
    answered_by    TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    chosen         BOOLEAN
);

-- Issue 18: the subscribable deadlines calendar. One revocable random token per user; only its SHA-256 is
-- stored (store/calendar_tokens.py).
CREATE TABLE IF NOT EXISTS calendar_tokens (
    token_hash  TEXT PRIMARY KEY,
    username    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TIMESTAMP,
    revoked_by  TEXT
);

-- Browser sessions of local accounts (issue 19): the cookie carries a random id, only its SHA-256 is stored.
-- A session ends when idle (CRUSCOTTO_IDLE_MINUTES), at expires_at (absolute maximum, CRUSCOTTO_SESSION_HOURS),
-- or when revoked (logout, user disabled, password changed). store/sessions.py is the only writer.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash      TEXT PRIMARY KEY,      -- sha256 hex of the cookie's value
    username     TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,    -- absolute maximum
    revoked_at   TIMESTAMP,
    revoked_why  TEXT
);

-- Personal API tokens (issue 19): read-only API /api/v1 as the token's user. Only the SHA-256 of the token is
-- stored; the token is shown once at creation. store/tokens.py is the only writer.
CREATE SEQUENCE IF NOT EXISTS seq_api_token START 1;
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id    INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    username    TEXT NOT NULL,
    label       TEXT,
    created_at  TIMESTAMP NOT NULL,
    created_by  TEXT,
    last_used   TIMESTAMP,
    revoked_at  TIMESTAMP
);
