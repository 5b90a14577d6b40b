"""Tasks: what is specific to what a person wants of an env (``base.py``), which env has
which task (``registry.py``), and the plug-ins that bring tasks (one package each, such as
``hopper_backflip/``). Generic packages import ``base`` and ``registry`` only."""
