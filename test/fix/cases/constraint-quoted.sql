-- Quoted names, a schema, ONLY and IF EXISTS carry over to the VALIDATE.
SET lock_timeout = '2s';
CREATE SCHEMA IF NOT EXISTS app;
ALTER TABLE IF EXISTS ONLY app."Orders" ADD CONSTRAINT "Amount>0" CHECK ("Amount" > 0);
