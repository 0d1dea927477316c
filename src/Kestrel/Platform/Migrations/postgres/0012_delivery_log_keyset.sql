-- PostgreSQL twin of ../0012_delivery_log_keyset.sql: the delivery log pages by (created_at, id) on both engines.
DROP INDEX alert_deliveries_by_project;
CREATE INDEX alert_deliveries_by_project ON alert_deliveries (project_id, created_at DESC, id DESC);
