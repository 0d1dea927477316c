-- PostgreSQL twin of ../0005_release_cap.sql.
CREATE INDEX releases_by_created ON releases (project_id, created_at, id);
