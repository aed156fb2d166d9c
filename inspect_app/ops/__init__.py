"""Operations: consistent backup and restore of the database and UPLOAD_FOLDER, orphan-file cleanup.

backup.py  the work, as functions over an engine and a folder (no Flask request needed)
backups.py each backup's run recorded (models.py), and what the office's 待办事项 says when they fail or stop
cli.py     flask --app run backup DEST | restore SRC [--force] | cleanup-orphans [--dry-run]
"""
