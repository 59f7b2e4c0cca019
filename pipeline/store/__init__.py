"""The DuckDB warehouse: migrations, batched loads, clusters, search, views, queries, exports."""
