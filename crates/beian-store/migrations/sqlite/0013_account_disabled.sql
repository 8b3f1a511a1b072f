-- A disabled account (`beian accounts disable`) can no longer log in, and its tokens are refused.
ALTER TABLE accounts ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
