-- Events may create releases, at most a set number per project per hour (releases.max_new_per_hour):
-- counting the last hour's, and paging the releases newest first, both read this index.
CREATE INDEX releases_by_created ON releases (project_id, created_at, id);
