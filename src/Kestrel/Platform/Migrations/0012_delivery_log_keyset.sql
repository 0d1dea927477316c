-- The delivery log (GET /api/alerts/deliveries) pages newest first by (created_at, id) instead of SQLite's rowid, which
-- PostgreSQL has no equivalent of: the same keyset on both engines. The index reads a project's page in order.
DROP INDEX alert_deliveries_by_project;
CREATE INDEX alert_deliveries_by_project ON alert_deliveries (project_id, created_at DESC, id DESC);
