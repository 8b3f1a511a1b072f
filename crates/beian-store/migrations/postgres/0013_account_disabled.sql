-- A disabled account (`beian accounts disable`) can no longer log in, and its tokens are refused.
ALTER TABLE accounts ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
