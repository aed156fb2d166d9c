"""Operations: consistent backup and restore of the database and UPLOAD_FOLDER, orphan-file cleanup.

backup.py  the work, as functions over an engine and a folder (no Flask request needed)
cli.py     flask --app run backup DEST | restore SRC [--force] | cleanup-orphans [--dry-run]
"""
