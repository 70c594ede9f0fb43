-- The last progress a job's handler reported (job.updateProgress), as JSON text; null until then.
ALTER TABLE :SCHEMA.jobs ADD COLUMN progress text;
