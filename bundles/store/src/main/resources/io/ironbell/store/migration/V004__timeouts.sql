-- Timeouts copied out of the rendered template, so that the server finds overdue work with
-- an indexed query instead of reading every running workflow.
ALTER TABLE action_state ADD COLUMN timeout_seconds integer;
ALTER TABLE workflow ADD COLUMN global_timeout_seconds integer;
CREATE INDEX action_state_running ON action_state (started_at) WHERE state = 'RUNNING';
CREATE INDEX workflow_running ON workflow (started_at) WHERE state = 'RUNNING';
