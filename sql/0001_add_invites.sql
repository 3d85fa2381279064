-- 0001_add_invites: a lender invites a borrower (by email, with a one-time
-- token) to complete an application. Table and its two indexes exactly as in
-- the team's guide (text timestamps included), plus an index on each foreign
-- key column.
CREATE TABLE IF NOT EXISTS "application_invites" (
  "id" text PRIMARY KEY NOT NULL,
  "application_id" text NOT NULL,
  "borrower_id" text NOT NULL,
  "token" text NOT NULL,
  "email" text NOT NULL,
  "invited_by" text NOT NULL,
  "used_at" text,
  "expires_at" text NOT NULL,
  "created_at" text NOT NULL,
  FOREIGN KEY ("application_id") REFERENCES "loan_applications"("id") ON DELETE CASCADE,
  FOREIGN KEY ("borrower_id") REFERENCES "users"("id") ON DELETE CASCADE,
  FOREIGN KEY ("invited_by") REFERENCES "users"("id") ON DELETE CASCADE
);

CREATE UNIQUE INDEX IF NOT EXISTS "idx_invites_token" ON "application_invites"("token");
CREATE INDEX IF NOT EXISTS "idx_invites_expires_at" ON "application_invites"("expires_at");

CREATE INDEX idx_invites_application_id ON application_invites (application_id);
CREATE INDEX idx_invites_borrower_id ON application_invites (borrower_id);
CREATE INDEX idx_invites_invited_by ON application_invites (invited_by);
