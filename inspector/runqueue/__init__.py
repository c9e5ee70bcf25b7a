"""Training runs for a whole class: a queue in the runs folder, worker processes (or Ray actors)
that train, and a scheduler that starts them within the device's budget.

The web server never trains: a page submits a run (``queue.RunQueue.submit``), a scheduler
(``scheduler.Scheduler``, a thread of every app process) starts a worker for it when the device
has room, and the worker (``worker.run_worker``) writes the run's folder. Pages only read run
folders, so any session of any app process sharing the folder sees every run.
"""
