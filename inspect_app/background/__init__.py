"""Background jobs (后台任务): long exports and imports run outside the request, with progress and a download.

A request adds a row to `jobs` and answers at once; a runner claims the row (an atomic UPDATE, so two processes
never run one job), runs the feature's task, and stores the result file under <UPLOAD_FOLDER>/jobs/. See
service.py for the states and worker.py for where runners live.
"""
