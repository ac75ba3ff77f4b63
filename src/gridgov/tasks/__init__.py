"""Tasks (任务下发): work sent to grid workers and social participants, with progress."""
