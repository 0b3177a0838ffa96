-- Push notifications (webhooks, Drive changes.watch channels, Gmail users.watch): which provider
-- account belongs to which user, the live channels with their expirations, and the deliveries
-- already accepted (so a replayed notification changes nothing). A notification only ever says
-- "something changed for account X": it signals that user's sync, nothing in its body is stored.

-- Provider account → docsync user (Dropbox account_id, Gmail emailAddress lower-cased, ...).
CREATE TABLE IF NOT EXISTS source_accounts (
  connector  text        NOT NULL,
  account_id text        NOT NULL,
  user_id    text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector, account_id)
);
CREATE INDEX IF NOT EXISTS source_accounts_user ON source_accounts (connector, user_id);

-- One row per channel docsync created at a provider. The channel's token is not stored: it is an
-- HMAC of the channel id and user under DOCSYNC_PUSH_SECRET (store/push.ts channelToken), so a
-- database reader cannot forge notifications.
CREATE TABLE IF NOT EXISTS push_channels (
  channel_id          text        PRIMARY KEY,
  connector           text        NOT NULL,
  user_id             text        NOT NULL,
  resource_id         text,
  expires_at          timestamptz NOT NULL,
  state               text        NOT NULL DEFAULT 'live' CHECK (state IN ('live', 'stopped')),
  last_message_number bigint      NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS push_channels_user ON push_channels (connector, user_id, state);
CREATE INDEX IF NOT EXISTS push_channels_expiry ON push_channels (expires_at) WHERE state = 'live';

-- Deliveries accepted once (Pub/Sub messageId, Dropbox signature digest, ...); pruned by age.
CREATE TABLE IF NOT EXISTS push_deliveries (
  source      text        NOT NULL,
  delivery_id text        NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, delivery_id)
);
CREATE INDEX IF NOT EXISTS push_deliveries_age ON push_deliveries (received_at);
