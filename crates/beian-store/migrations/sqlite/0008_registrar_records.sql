-- Domain registration records (域名注册信息): the registrars' library that the DOMAIN_* rules of
-- SPEC §7 read through `context.domains`. One row per registrable domain in its lower-case IDNA
-- ASCII form; credential numbers trimmed and upper-cased. Supervisors import and edit them.
CREATE TABLE registrar_records (
    domain                       TEXT    PRIMARY KEY,
    registrar                    TEXT    NOT NULL,
    registrar_approved           INTEGER NOT NULL CHECK (registrar_approved IN (0, 1)),
    expires                      TEXT    NOT NULL,
    real_name_verified           INTEGER NOT NULL CHECK (real_name_verified IN (0, 1)),
    real_name_date               TEXT,
    registrant_name              TEXT    NOT NULL,
    registrant_credential_type   TEXT    NOT NULL,
    registrant_credential_number TEXT    NOT NULL,
    updated_by                   TEXT    NOT NULL,
    updated_at                   TEXT    NOT NULL
);
