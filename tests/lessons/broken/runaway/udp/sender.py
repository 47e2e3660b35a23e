# Broken on purpose, and rude: it floods its output, never ends, and leaves a child in a
# session of its own behind. The check must stop it at the time limit and kill the child.
import os
import subprocess
import sys

subprocess.Popen(["sleep", "1000"], start_new_session=True)
while True:
    sys.stdout.write("x" * 1000 + "\n")
