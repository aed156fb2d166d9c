"""flask --app run backup DEST | restore SRC [--force] | cleanup-orphans [--dry-run] [--older-than MINUTES]."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app

from ..common.timeutil import utcnow
from ..extensions import db


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(path_type=Path))
    def backup_command(dest: Path):
        """Back up the database and UPLOAD_FOLDER while the app keeps running.

        DEST is a new (or empty) directory, or a file name ending in .tar.gz for one packed file."""
        from . import backups
        from .backup import OpsError, create_backup

        try:
            manifest = create_backup(dest, engine=db.engine, upload_folder=current_app.config["UPLOAD_FOLDER"],
                                     now=utcnow())
        except OpsError as error:  # recorded, so that 待办事项 says the backup failed and why
            backups.record(utcnow(), dest, error=str(error))
            raise click.ClickException(str(error)) from None
        except Exception as error:
            backups.record(utcnow(), dest, error=f"程序出错：{type(error).__name__}: {error}")
            raise
        if not backups.record(utcnow(), dest, manifest):
            click.echo("提示：备份已完成，但数据库没有记下这次备份（数据库只能读取或无法写入），"
                       "待办事项可能仍会提示没有备份。", err=True)
        rows, files = manifest["database"]["rows"], manifest["files"]
        click.echo(f"备份完成：{dest}")
        click.echo(f"  数据库（{manifest['database']['dialect']}）：问题 {rows.get('tickets', 0)} 件，"
                   f"照片记录 {rows.get('photos', 0)} 条，共 {sum(rows.values())} 行")
        click.echo(f"  文件：{files['count']} 个，{_mb(files['bytes'])}")
        if skipped := manifest["database"].get("skipped"):
            click.echo(f"提示：数据库中的 {'、'.join(skipped)} 由其他数据库角色（{'、'.join(sorted(set(skipped.values())))}）"
                       f"所有，不是本系统的表，没有备份（备份只包含本系统的数据）。", err=True)
        if files["missing"]:
            click.echo(f"警告：{len(files['missing'])} 个应有的文件在上传目录中已缺失（见 manifest.json 的 "
                       f"files.missing），例如 {files['missing'][0]}", err=True)

    @app.cli.command("restore")
    @click.argument("src", type=click.Path(path_type=Path))  # not there, not readable: restore_backup's words
    @click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
    def restore_command(src: Path, force: bool):
        """Restore a backup made by `backup` (stop the web processes and the scheduler first). A backup made by an
        older release is brought up to this one (init-db's migrations); one made by a newer release is refused."""
        from ..cli import init_schema, schema_revisions
        from .backup import OpsError, restore_backup

        db.session.remove()
        upload = current_app.config["UPLOAD_FOLDER"]
        try:
            result = restore_backup(src, engine=db.engine, upload_folder=upload, now=utcnow(), force=force,
                                    revisions=schema_revisions())
        except OpsError as error:
            raise click.ClickException(str(error)) from None
        rows = result["rows"]
        click.echo(f"已恢复 {result['created_at']} 的备份：问题 {rows.get('tickets', 0)} 件，"
                   f"照片记录 {rows.get('photos', 0)} 条，文件 {result['files']} 个。")
        if result["differing"]:
            click.echo(f"警告：以下表的行数与备份不同：{result['differing']}", err=True)
        if result["analysed"] is False:
            click.echo("提示：数据库统计信息未能更新（VACUUM ANALYZE 失败），恢复后的头一段时间查询可能较慢；"
                       "可由数据库管理员手动运行 VACUUM ANALYZE。", err=True)
        if result["views_file"]:
            recreated = [view for view in result["views"] if view.recreated]
            if recreated:
                click.echo(f"数据库中其他数据库角色建在本系统数据表上的视图 "
                           f"{'、'.join(f'{v.name}（所有者 {v.owner}）' for v in recreated)}随数据表一起被删除，"
                           f"已按原定义以其所有者的身份重建。")
            for view in result["views"]:
                if not view.recreated:
                    click.echo(f"警告：数据库角色 {view.owner} 建在本系统数据表上的视图 {view.name} 随数据表一起被删除，"
                               f"没有重建（{view.why}）。请数据库管理员按 {result['views_file']} 中它的定义重建它"
                               f"（psql -f 该文件）。", err=True)
            kept = "、".join((["被删除的视图的定义"] if result["views"] else [])
                            + (["本系统数据表给其他数据库角色的授权（恢复后已重新授予）"] if result["grants"] else []))
            click.echo(f"{kept}已存于 {result['views_file']}。")
        if result["set_aside"]:
            click.echo(f"上传目录中有 {len(result['set_aside'])} 个督办函、红黑榜或附件 PDF 不属于恢复后的数据库"
                       f"（备份之后生成的），已移到 {result['set_aside_to']}，不会再被打开；"
                       f"确认不需要后可删除该文件夹。")
        if result["behind"]:
            old = "、".join(result["behind"])
            try:
                init_schema()
            except (Exception, SystemExit) as error:  # flask_migrate logs Alembic's error, then exits 1
                why = "见上面的错误信息" if isinstance(error, SystemExit) else f"{type(error).__name__}: {error}"
                raise click.ClickException(
                    f"备份已恢复，但它来自较早的程序版本（数据库结构版本 {old}），升级到当前版本时出错（{why}）。"
                    f"请查明原因后运行 flask --app run init-db；升级完成之前不要启动服务。") from None
            click.echo(f"备份来自较早的程序版本（数据库结构版本 {old}），恢复后的数据库已升级到当前程序的版本"
                       f"（与 flask --app run init-db 相同）。")
        elif not result["schema_matches"]:
            click.echo("提示：备份的数据库结构与当前程序版本不同，请运行 flask --app run init-db 升级。", err=True)
        click.echo("上传目录中无记录的照片文件不会被删除；可运行 flask --app run cleanup-orphans 清理。")

    @app.cli.command("cleanup-orphans")
    @click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
    @click.option("--older-than", "minutes", default=60, show_default=True, type=click.IntRange(min=0),
                  help="Only files last written more than this many minutes ago.")
    def cleanup_orphans_command(dry_run: bool, minutes: int):
        """Delete photo files and letter, attachment and list PDFs no row names (left by a process killed between
        writing a file and committing its row) and leftover temp files, older than --older-than minutes."""
        from ..rankings.services import pdf_folder
        from .files import delete_orphans, find_orphans

        with db.engine.connect() as conn:
            orphans = find_orphans(conn, current_app.config["UPLOAD_FOLDER"], utcnow(), timedelta(minutes=minutes),
                                   rankings_folder=pdf_folder())
        for key in orphans.keys:
            click.echo(f"  照片 {key}")
        for path in orphans.documents:
            click.echo(f"  文件 {path}")
        for path in orphans.temp_files:
            click.echo(f"  临时文件 {path}")
        what = (f"无记录的照片 {len(orphans.keys)} 张、残留临时文件 {len(orphans.temp_files)} 个、"
                f"无记录的督办函、红黑榜或附件 PDF {len(orphans.documents)} 个（{_mb(orphans.bytes)}）")
        if dry_run:
            click.echo(f"将删除{what}（试运行，未删除）。")
        else:
            delete_orphans(current_app.config["UPLOAD_FOLDER"], orphans)
            click.echo(f"已删除{what}。")
        if orphans.young:
            click.echo(f"另有 {orphans.young} 张照片尚无记录但写入不到 {minutes} 分钟（可能正在上传），未处理。")
