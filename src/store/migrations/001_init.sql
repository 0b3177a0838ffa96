-- docsync schema v1: documents, change feed, sync runs, credentials.
CREATE TABLE documents (
  connector        text        NOT NULL,
  user_id          text        NOT NULL,
  external_id      text        NOT NULL,
  title            text        NOT NULL DEFAULT '',
  path             text,
  path_lower       text,
  mime_type        text,
  size             bigint,
  modified_at      timestamptz,
  version          text        NOT NULL,
  extra            jsonb,
  -- content pipeline
  fetched_version  text,
  content_sha256   text,
  content_size     bigint,
  content_mime     text,
  text             text,
  text_truncated   boolean     NOT NULL DEFAULT false,
  status           text        NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'fetched', 'failed', 'skipped', 'deleted')),
  error            text,
  attempts         integer     NOT NULL DEFAULT 0,
  -- lifecycle
  sweep_id         text,
  deleted_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  seq              bigint      NOT NULL,
  PRIMARY KEY (connector, user_id, external_id)
);
CREATE INDEX documents_path_lower ON documents (connector, user_id, path_lower text_pattern_ops);
CREATE INDEX documents_status ON documents (connector, user_id, status);

CREATE TABLE changes (
  seq          bigserial   PRIMARY KEY,
  connector    text        NOT NULL,
  user_id      text        NOT NULL,
  external_id  text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('upsert', 'delete', 'content')),
  version      text,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_user ON changes (connector, user_id, seq);

CREATE TABLE sync_runs (
  id           text        PRIMARY KEY,
  connector    text        NOT NULL,
  user_id      text        NOT NULL,
  workflow_id  text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  pages        integer     NOT NULL DEFAULT 0,
  upserts      integer     NOT NULL DEFAULT 0,
  deletes      integer     NOT NULL DEFAULT 0,
  errors       integer     NOT NULL DEFAULT 0,
  full_listing boolean     NOT NULL DEFAULT false,
  outcome      text        NOT NULL DEFAULT 'running'
);
CREATE INDEX sync_runs_user ON sync_runs (connector, user_id, started_at);

CREATE TABLE credentials (
  ref          text        PRIMARY KEY,
  connector    text        NOT NULL,
  user_id      text        NOT NULL,
  ciphertext   text        NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
